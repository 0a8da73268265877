// PLACEHOLDER — the change log is built on branch dp-changelog; at merge, take that
// branch's src/network/agents/change-log.ts instead of this file. Same module, same
// exports (`ChangeLog` with record(tx, change) and currentRevision(db)), so the callers
// in this branch need no change. This one records nothing and is always at revision 0.
import type { Db, Tx } from '../../common/db/index.js';
import type { Change } from '../../agent/protocol.js';

/** One change as recorded: the log assigns the revision. */
export type ChangeRecord = Omit<Change, 'revision'>;

export class ChangeLog {
  /** Records a change in the caller's transaction (placeholder: does nothing). */
  async record(_tx: Tx, _change: ChangeRecord): Promise<void> {}

  /** The newest revision visible to db (a transaction reads its own snapshot). Placeholder: 0. */
  async currentRevision(_db: Db | Tx): Promise<number> {
    return 0;
  }
}
