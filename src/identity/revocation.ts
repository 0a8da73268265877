// Revoked tokens, kept in memory so that validation never reads the database.
// Each event names some of a token's attributes (its audit id, user, project,
// domain, role, application credential) and a time: a token matching every
// named attribute and issued at or before that time is revoked. Events older
// than the token lifetime can match no living token and are dropped.
import { randomUUID } from 'node:crypto';
import type { Db } from './db/database.js';
import type { RevocationEventRow } from './db/schema.js';

export type RevocationEvent = RevocationEventRow;
export type RevocationMatch = Partial<Pick<RevocationEvent, 'audit_id' | 'user_id' | 'project_id' | 'domain_id' | 'role_id' | 'app_cred_id'>>;

/** What of a token the events are matched against. */
export interface Revocable {
  auditIds: string[];
  userId: string;
  projectId?: string;
  /** the user's domain, the project's domain, the scoped domain; 'system' for a system-scoped token */
  domainIds: string[];
  roleIds: string[];
  appCredId?: string;
  /** ms since the epoch */
  issuedAt: number;
}

const FIELDS = ['user_id', 'project_id', 'domain_id', 'role_id', 'app_cred_id'] as const;

export function newEvent(match: RevocationMatch, now = new Date()): RevocationEvent {
  const at = now.toISOString();
  return {
    id: randomUUID(),
    audit_id: match.audit_id ?? null,
    user_id: match.user_id ?? null,
    project_id: match.project_id ?? null,
    domain_id: match.domain_id ?? null,
    role_id: match.role_id ?? null,
    app_cred_id: match.app_cred_id ?? null,
    issued_before: at,
    revoked_at: at,
  };
}

function matches(e: RevocationEvent, t: Revocable): boolean {
  if (Date.parse(e.issued_before) < t.issuedAt) return false;
  if (e.audit_id !== null && !t.auditIds.includes(e.audit_id)) return false;
  if (e.user_id !== null && e.user_id !== t.userId) return false;
  if (e.project_id !== null && e.project_id !== t.projectId) return false;
  if (e.domain_id !== null && !t.domainIds.includes(e.domain_id)) return false;
  if (e.role_id !== null && !t.roleIds.includes(e.role_id)) return false;
  if (e.app_cred_id !== null && e.app_cred_id !== t.appCredId) return false;
  return true;
}

export class RevocationList {
  private seen = new Set<string>();
  /** events by the value of their first named attribute, so a check looks at a handful */
  private byKey = new Map<string, RevocationEvent[]>();
  private newest = '';

  constructor(private lifetimeSeconds: number) {}

  add(e: RevocationEvent): void {
    if (this.seen.has(e.id)) return;
    this.seen.add(e.id);
    const key = e.audit_id !== null ? `a:${e.audit_id}` : keyOf(e);
    const list = this.byKey.get(key);
    if (list) list.push(e);
    else this.byKey.set(key, [e]);
    if (e.revoked_at > this.newest) this.newest = e.revoked_at;
  }

  isRevoked(t: Revocable): boolean {
    const keys = [
      ...t.auditIds.map((a) => `a:${a}`),
      `user_id:${t.userId}`,
      ...(t.projectId ? [`project_id:${t.projectId}`] : []),
      ...t.domainIds.map((d) => `domain_id:${d}`),
      ...t.roleIds.map((r) => `role_id:${r}`),
      ...(t.appCredId ? [`app_cred_id:${t.appCredId}`] : []),
    ];
    for (const k of keys) {
      const list = this.byKey.get(k);
      if (list && list.some((e) => matches(e, t))) return true;
    }
    return false;
  }

  /** Loads the events revoked since the last load (all of them the first time), and forgets expired ones. */
  async load(db: Db): Promise<void> {
    const horizon = new Date(Date.now() - this.lifetimeSeconds * 1000).toISOString();
    // a little before the newest seen: another server's transaction may commit an older timestamp late
    const since = this.newest ? new Date(Date.parse(this.newest) - 60_000).toISOString() : horizon;
    const rows = await db.selectFrom('revocation_events').selectAll().where('revoked_at', '>=', since < horizon ? horizon : since).execute();
    for (const r of rows) this.add(r);
    this.prune(horizon);
  }

  private prune(horizon: string): void {
    for (const [k, list] of this.byKey) {
      const kept = list.filter((e) => e.issued_before >= horizon);
      for (const e of list) if (e.issued_before < horizon) this.seen.delete(e.id);
      if (kept.length) this.byKey.set(k, kept);
      else this.byKey.delete(k);
    }
  }

  get size(): number {
    return this.seen.size;
  }
}

function keyOf(e: RevocationEvent): string {
  for (const f of FIELDS) if (e[f] !== null) return `${f}:${e[f]}`;
  throw new Error('a revocation event must name something');
}
