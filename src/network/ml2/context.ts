import { randomUUID } from 'node:crypto';
import type { NetworkServiceConfig } from '../config.js';
import type { Database, Tx } from '../db/database.js';
import type { NetworkSchema } from '../db/schema.js';
import { isRetryable } from '../../common/db/index.js';
import { GroupCommitter } from '../../common/db/group-commit.js';
import type { Logger } from '../../common/logging.js';
import type { CallbackRegistry } from '../callbacks.js';
import { ChangeLog } from '../agents/change-log.js';
import { IpamStore } from '../ipam/store.js';
import { Quotas } from '../quota/engine.js';
import { MechanismManager, TypeManager } from './managers.js';

/** What every part of the core plugin shares. */
export class PluginContext {
  readonly types: TypeManager;
  readonly mech: MechanismManager;
  readonly ipam: IpamStore;
  readonly quotas: Quotas;
  /** what agents follow: every change they need, recorded in the change's transaction */
  readonly changeLog: ChangeLog;
  /** SQLite writes one transaction at a time: concurrent ones share a commit (PostgreSQL runs them side by side) */
  private readonly grouped?: GroupCommitter<NetworkSchema>;

  constructor(
    readonly database: Database,
    readonly cfg: NetworkServiceConfig,
    readonly log: Logger,
    readonly callbacks: CallbackRegistry,
  ) {
    this.types = new TypeManager(cfg.network.ml2);
    this.mech = new MechanismManager(cfg.network.ml2, log);
    this.ipam = new IpamStore(database.dialect);
    this.quotas = new Quotas(cfg.network.quotas, database.dialect);
    this.changeLog = new ChangeLog(database.dialect);
    if (database.dialect === 'sqlite') this.grouped = new GroupCommitter(database.db);
  }

  get db() {
    return this.database.db;
  }

  /** Runs fn in a transaction, again from the start when the database reports a conflict a retry can cure. */
  async tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return this.grouped ? await this.grouped.run(fn) : await this.db.transaction().execute(fn);
      } catch (err) {
        if (attempt >= 8 || !isRetryable(err)) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      }
    }
  }
}

export const newId = (): string => randomUUID();

/** Neutron's timestamps: UTC, second precision. */
export const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
