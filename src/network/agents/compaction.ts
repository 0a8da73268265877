import type { Db } from '../db/database.js';
import type { Logger } from '../../common/logging.js';
import type { ChangeLog } from './change-log.js';

const EVERY_MS = 60_000;

/**
 * Deletes all but the last `keep` change log entries now and every minute, until the
 * returned stop is called. Every server process does it; the deletes agree.
 */
export function startCompaction(changeLog: ChangeLog, db: Db, keep: number, log: Logger): () => void {
  const run = async () => {
    try {
      const n = await changeLog.compact(db, keep);
      if (n) log.debug({ deleted: n, keep }, 'change log compacted');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'change log compaction failed');
    }
  };
  void run();
  const timer = setInterval(() => void run(), EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
