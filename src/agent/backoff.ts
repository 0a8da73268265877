// Waiting between retries: capped exponential with jitter (a fleet of agents
// that lost the server together does not return in one wave), and sleeps that
// end at once when the agent stops.

export class Backoff {
  private attempt = 0;
  constructor(private readonly firstMs = 500, private readonly maxMs = 30_000) {}

  /** the next wait: first, 2×first, 4×first … up to max, each ±25 % */
  next(): number {
    const base = Math.min(this.maxMs, this.firstMs * 2 ** this.attempt++);
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** resolves after `ms`, or at once when `signal` aborts (never rejects) */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** one line for the log: the message, never a stack (a server away is not a bug) */
export const oneLine = (err: unknown): string => ((err as Error)?.message ?? String(err)).split('\n')[0];
