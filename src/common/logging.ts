import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type { PrettyOptions } from 'pino-pretty';

export type { Logger };

/** json: one JSON object a line (for journald, files, collectors); text: pino-pretty's lines for a person at a terminal */
export type LogFormat = 'json' | 'text';

/** --log-format: text or json, or auto (the default): text when stdout is a terminal, JSON otherwise */
export function logFormat(flag: string | undefined, isTTY = process.stdout.isTTY === true): LogFormat {
  const f = flag ?? 'auto';
  if (f === 'text' || f === 'json') return f;
  if (f === 'auto') return isTTY ? 'text' : 'json';
  throw new Error(`--log-format: text, json or auto, not ${f}`);
}

// fields the pretty header or the service prefix already shows
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'service', 'err']);

/** one short line per entry: "[network] GET /v2.0/networks 200 3 ms", else the message and its fields as key=value */
function messageFormat(log: Record<string, unknown>, messageKey: string): string {
  const service = typeof log.service === 'string' ? `[${log.service}] ` : '';
  if (log.method !== undefined && log.status !== undefined && log.reqId !== undefined) return `${service}${log.method} ${log.url} ${log.status} ${log.ms} ms`;
  const fields = Object.entries(log)
    .filter(([k]) => !SHOWN.has(k) && k !== messageKey)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const err = log.err as { stack?: string; message?: string } | undefined;
  const trace = err ? `\n    ${(err.stack ?? err.message ?? '').replace(/\n/g, '\n    ')}` : '';
  return [`${service}${String(log[messageKey] ?? '')}`, ...fields].join(' ') + trace;
}

// loaded only for a terminal: JSON logging (servers, tests) does not carry it
const require = createRequire(import.meta.url);

/**
 * One logger for the process; request loggers are its children. JSON goes to stdout through
 * pino's asynchronous destination (sonic-boom: lines logged while a write is in flight go out
 * together in the next one, not a system call per request; what is pending is written at
 * exit); the text format writes through pino-pretty in this thread (sync), not a
 * transport's worker thread.
 */
export function createLogger(level: string, name = 'cloudlet', format: LogFormat = 'json'): Logger {
  const opts = {
    name,
    level,
    // credentials never reach the log, whatever a caller passes in
    redact: { paths: ['password', 'token', '*.password', '*.token', 'req.headers["x-auth-token"]', 'req.headers.authorization'], censor: '[redacted]' },
  };
  if (format === 'json') return pino(opts, pino.destination({ dest: 1, sync: false }));
  const pretty = require('pino-pretty') as (o: PrettyOptions) => NodeJS.WritableStream;
  const stream = pretty({ sync: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,name', hideObject: true, messageFormat, colorize: process.stdout.isTTY === true });
  return pino(opts, stream as unknown as pino.DestinationStream);
}
