// The agents' service user, as a Neutron deployment has one for its agents and
// nova: a `service` project, a `service` role, and the user `cloudlet-agent`
// holding that role on that project. Its password lives only in
// <data dir>/agent-password (0600); `cloudlet up` hands it to the agents it starts,
// an operator copies it into the agent config of other hosts. Made at every start
// where missing; a lost file gets a new password (the old one's tokens revoked).
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IdentityServiceConfig } from './config.js';
import type { Database, Tx } from './db/database.js';
import { makePrivateDir } from '../common/private-files.js';
import { newId } from './api/entity.js';
import { ensureRole, newPassword } from './bootstrap-rows.js';
import { Passwords } from './passwords.js';
import { newEvent } from './revocation.js';

export const SERVICE_PROJECT = 'service';
export const SERVICE_ROLE = 'service';
export const AGENT_USER = 'cloudlet-agent';

export const agentPasswordFile = (dataDir: string): string => join(dataDir, 'agent-password');

/** the password in the file (one line), or undefined when there is no such file */
export function readAgentPassword(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const password = text.trim();
  if (!password) throw new Error(`${file} is empty: remove it and start cloudlet again for a new agent password`);
  return password;
}

function writePrivate(file: string, text: string): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

async function ensureProject(tx: Tx, name: string, description: string, now: string): Promise<string> {
  const r = await tx.selectFrom('projects').select('id').where('domain_id', '=', 'default').where('name', '=', name).executeTakeFirst();
  if (r) return r.id;
  const id = newId();
  await tx.insertInto('projects').values({ id, name, domain_id: 'default', parent_id: null, description, enabled: 1, is_domain: 0, extra: '{}', created_at: now }).execute();
  return id;
}

const userRow = (db: Database['db'] | Tx) =>
  db.selectFrom('users').select('id').where('domain_id', '=', 'default').where('name', '=', AGENT_USER).executeTakeFirst();

export interface ServiceUserResult {
  /** the user was made by this run */
  created: boolean;
  /** its password was set anew (the file was missing) */
  reset: boolean;
}

/**
 * Makes what is missing of the service project, role, user and grant, and the password
 * file. Two servers starting at once on one database and data directory agree: the
 * decision about the file is taken again inside the transaction, after its first write
 * (which queues them), so the second sees the first's file.
 */
export async function ensureServiceUser(database: Database, cfg: IdentityServiceConfig): Promise<ServiceUserResult> {
  const file = agentPasswordFile(cfg.data_dir);
  makePrivateDir(cfg.data_dir);
  const known = readAgentPassword(file);
  const exists = await userRow(database.db);
  const candidate = known ?? newPassword();
  // bcrypt before the transaction (it takes a while), and only when a hash may be needed
  const hash = exists && known ? '' : await new Passwords(cfg.identity.password_hash_rounds).hash(candidate);
  const now = new Date().toISOString();
  let wroteFile = false;
  try {
    return await database.db.transaction().execute(async (tx) => {
      const project = await ensureProject(tx, SERVICE_PROJECT, 'The project of the services (agents) cloudlet runs', now);
      const role = await ensureRole(tx, SERVICE_ROLE);
      const inFile = readAgentPassword(file);
      let user = await userRow(tx);
      let created = false;
      let reset = false;
      const needHash = () => {
        // another process changed the file or the user between our look and our turn
        if (!hash || (inFile !== undefined && inFile !== candidate)) throw new Error(`${AGENT_USER} or ${file} changed while cloudlet started: start it again`);
        return hash;
      };
      if (inFile === undefined) {
        writePrivate(file, `${candidate}\n`);
        wroteFile = true;
      }
      if (!user) {
        user = { id: newId() };
        await tx.insertInto('users').values({
          id: user.id, name: AGENT_USER, domain_id: 'default', enabled: 1, password_hash: needHash(), default_project_id: project,
          options: '{}', extra: '{}', created_at: now,
        }).execute();
        created = true;
      } else if (inFile === undefined) {
        await tx.updateTable('users').set({ password_hash: needHash(), enabled: 1 }).where('id', '=', user.id).execute();
        await tx.insertInto('revocation_events').values(newEvent({ user_id: user.id })).execute();
        reset = true;
      }
      await tx.insertInto('role_assignments').values({ target_type: 'project', actor_id: user.id, target_id: project, role_id: role }).onConflict((oc) => oc.doNothing()).execute();
      return { created, reset };
    });
  } catch (err) {
    // a file whose password never reached the database would lock the agents out
    if (wroteFile) rmSync(file, { force: true });
    throw err;
  }
}
