import { sql, type Kysely, type Transaction } from 'kysely';

interface Job<S> {
  fn: (tx: Transaction<S>) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit for SQLite, whose single writer runs transactions one after
 * another anyway: transactions that arrive while one is running are run in
 * the same physical transaction, each inside its own savepoint, and all of
 * them are answered after the one COMMIT (and its fsync). A transaction that
 * fails is rolled back to its savepoint and answered at once; the others are
 * unaffected. Nothing is answered before it is durable.
 */
export class GroupCommitter<S> {
  private queue: Array<Job<S>> = [];
  private draining = false;

  constructor(
    private db: Kysely<S>,
    private maxBatch = 64,
  ) {}

  run<T>(fn: (tx: Transaction<S>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length) await this.batch();
    } finally {
      this.draining = false;
    }
  }

  private async batch(): Promise<void> {
    const committed: Array<[Job<S>, unknown]> = [];
    try {
      await this.db.transaction().execute(async (tx) => {
        for (let n = 0; n < this.maxBatch && this.queue.length; n++) {
          const job = this.queue.shift() as Job<S>;
          await sql`SAVEPOINT grouped`.execute(tx);
          try {
            const value = await job.fn(tx);
            await sql`RELEASE grouped`.execute(tx);
            committed.push([job, value]);
          } catch (err) {
            await sql`ROLLBACK TO grouped`.execute(tx);
            await sql`RELEASE grouped`.execute(tx);
            job.reject(err);
          }
        }
      });
    } catch (err) {
      for (const [job] of committed) job.reject(err);
      return;
    }
    for (const [job, value] of committed) job.resolve(value);
  }
}
