// What every command's process needs and no more (the agents load this, not the servers):
// the one-line failure, the logger, the stop on a signal.
import { createLogger, logFormat, type Logger } from '../common/logging.js';

/** the process's logger, as --log-format says, for one service (its lines say which) */
export function loggerFor(flags: { logFormat?: string }, level: string, service: string): Logger {
  return createLogger(level, 'cloudlet', logFormat(flags.logFormat)).child({ service });
}

/** A command's action: errors end the process with a one-line message, the same for every command. */
export const run =
  <T>(fn: (flags: T) => Promise<void>) =>
  async (flags: T): Promise<void> => {
    try {
      await fn(flags);
    } catch (err) {
      process.stderr.write(`cloudlet: ${(err as Error).message}\n`);
      process.exit(1);
    }
  };

/** Stops the servers on SIGINT/SIGTERM; `say` gets a line when stopping starts and one when done. */
export function stopOnSignals(stops: Array<() => Promise<void>>, say?: (line: string) => void): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say?.(`stopping (${signal})`);
    for (const s of stops) await s().catch(() => {});
    say?.('stopped');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
