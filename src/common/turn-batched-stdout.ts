import { writeSync } from 'node:fs';

/**
 * Standard output for log lines, written once per turn of the event loop: the lines of every
 * request answered in one turn go out in one write at its end (setImmediate) instead of one
 * write each, which under load was a system call per request. No line waits past the turn
 * it was logged in, and what is pending when the process exits (process.exit, an uncaught
 * exception, the loop running dry) is written then.
 */
export class TurnBatchedOutput {
  private pending = '';
  private scheduled = false;
  private broken = false;

  constructor(private readonly fd = 1) {
    process.once('exit', () => this.flush());
  }

  write(line: string): boolean {
    if (this.broken) return true;
    this.pending += line;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  /** Writes what is pending now (pino's logger.flush(cb) calls it with cb). */
  flush(cb?: (err?: Error) => void): void {
    try {
      this.writePending();
    } catch (e) {
      if (!cb) throw e;
      cb(e as Error);
      return;
    }
    cb?.();
  }

  private writePending(): void {
    this.scheduled = false;
    if (this.pending === '') return;
    let buf = Buffer.from(this.pending);
    this.pending = '';
    while (buf.length > 0) {
      try {
        buf = buf.subarray(writeSync(this.fd, buf));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // a full non-blocking pipe: wait for the reader, as pino's own synchronous destination does
        if (code === 'EAGAIN') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        // the reader is gone (a closed pipe): logging goes quiet, as with pino's destination
        else if (code === 'EPIPE') {
          this.broken = true;
          return;
        } else throw e;
      }
    }
  }
}

let stdout: TurnBatchedOutput | undefined;

/** The process's one batched standard output (every logger of the process shares it, and its order). */
export function batchedStdout(): TurnBatchedOutput {
  return (stdout ??= new TurnBatchedOutput(1));
}
