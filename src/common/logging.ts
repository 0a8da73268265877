import { pino, type Logger } from 'pino';

export type { Logger };

/** One logger for the process; request loggers are its children. */
export function createLogger(level: string, name = 'cloudlet'): Logger {
  return pino({
    name,
    level,
    // credentials never reach the log, whatever a caller passes in
    redact: { paths: ['*.password', '*.token', 'req.headers["x-auth-token"]', 'req.headers.authorization'], censor: '[redacted]' },
  });
}
