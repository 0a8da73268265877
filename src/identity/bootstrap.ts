// What `keystone-manage bootstrap` does, idempotently: the Default domain, the
// admin project and user, the admin/member/reader roles (admin implies member
// implies reader), the admin's grants (on the admin project and on the system),
// the region, and the catalog of cloudlet's services. Run at every start: later
// runs create only what is missing and point the endpoints of these services at
// the URLs given now. With resetPassword (`cloudlet identity bootstrap`), an
// existing admin gets the password given, is enabled and loses its tokens, as
// keystone-manage bootstrap --bootstrap-password does. Then the agents' service
// user (service-user.ts).
import type { IdentityServiceConfig } from './config.js';
import type { Database, Tx } from './db/database.js';
import { newId } from './api/entity.js';
import { SYSTEM } from './assignments.js';
import { ensureRole, newPassword } from './bootstrap-rows.js';
import { Passwords } from './passwords.js';
import { newEvent } from './revocation.js';
import { ensureServiceUser } from './service-user.js';

export interface ServiceUrls {
  identity: string;
  network: string;
  registry: string;
}

const INTERFACES = ['public', 'internal', 'admin'] as const;

async function ensureService(tx: Tx, type: string, name: string, url: string, region: string, keepUrls: boolean): Promise<void> {
  let svc = await tx.selectFrom('services').select('id').where('type', '=', type).where('name', '=', name).executeTakeFirst();
  if (!svc) {
    svc = { id: newId() };
    await tx.insertInto('services').values({ id: svc.id, type, name, description: '', enabled: 1, extra: '{}' }).execute();
  }
  for (const iface of INTERFACES) {
    const ep = await tx.selectFrom('endpoints').select(['id', 'url']).where('service_id', '=', svc.id).where('interface', '=', iface).where('region_id', '=', region).executeTakeFirst();
    if (!ep) {
      await tx.insertInto('endpoints').values({ id: newId(), service_id: svc.id, interface: iface, region_id: region, url, enabled: 1, extra: '{}' }).execute();
    } else if (ep.url !== url && !keepUrls) {
      await tx.updateTable('endpoints').set({ url }).where('id', '=', ep.id).execute();
    }
  }
}

export interface BootstrapOptions {
  /** the admin's password when the user is made or reset; generated when absent */
  adminPassword?: string;
  /** set the password of an existing admin user too (and enable it), revoking its tokens */
  resetPassword?: boolean;
  /** make missing endpoints only, leave existing URLs (a command run beside the servers does not know their flags) */
  keepEndpointUrls?: boolean;
}

export interface BootstrapResult {
  /** the password set by this run: the admin user was created or reset */
  adminPassword?: string;
  created: boolean;
  reset: boolean;
}

export async function bootstrap(database: Database, cfg: IdentityServiceConfig, urls: ServiceUrls, opts: BootstrapOptions = {}): Promise<BootstrapResult> {
  // hashed before the transaction (bcrypt takes a while, the transaction should not), and only when needed
  const hasAdmin = await database.db.selectFrom('users').select('id').where('domain_id', '=', 'default').where('name', '=', 'admin').executeTakeFirst();
  const password = opts.adminPassword || newPassword();
  const hash = hasAdmin && !opts.resetPassword ? '' : await new Passwords(cfg.identity.password_hash_rounds).hash(password);
  const now = new Date().toISOString();
  const result = await database.db.transaction().execute(async (tx) => {
    let created = false;
    let reset = false;
    // A write first: two servers bootstrapping one new database queue here (PostgreSQL waits on
    // the key, SQLite on its write lock) and the second then sees what the first made, so
    // nothing below (services have no unique key) is made twice.
    await tx.insertInto('domains').values({ id: 'default', name: 'Default', description: 'The default domain', enabled: 1, extra: '{}', created_at: now })
      .onConflict((oc) => oc.column('id').doNothing()).execute();
    let project = await tx.selectFrom('projects').select('id').where('domain_id', '=', 'default').where('name', '=', 'admin').executeTakeFirst();
    if (!project) {
      project = { id: newId() };
      await tx.insertInto('projects').values({
        id: project.id, name: 'admin', domain_id: 'default', parent_id: null, description: 'Bootstrap project for initializing the cloud.',
        enabled: 1, is_domain: 0, extra: '{}', created_at: now,
      }).execute();
    }
    let user = await tx.selectFrom('users').select('id').where('domain_id', '=', 'default').where('name', '=', 'admin').executeTakeFirst();
    if (!user) {
      if (!hash) throw new Error('the admin user was deleted while cloudlet started: start it again');
      user = { id: newId() };
      await tx.insertInto('users').values({
        id: user.id, name: 'admin', domain_id: 'default', enabled: 1, password_hash: hash, default_project_id: null,
        options: '{}', extra: '{}', created_at: now,
      }).execute();
      created = true;
    } else if (opts.resetPassword) {
      await tx.updateTable('users').set({ password_hash: hash, enabled: 1 }).where('id', '=', user.id).execute();
      // as Keystone on a password change: the tokens issued so far are revoked (servers read the event within seconds)
      await tx.insertInto('revocation_events').values(newEvent({ user_id: user.id })).execute();
      reset = true;
    }
    const admin = await ensureRole(tx, 'admin');
    const member = await ensureRole(tx, 'member');
    const reader = await ensureRole(tx, 'reader');
    for (const [prior, implied] of [[admin, member], [member, reader]]) {
      await tx.insertInto('implied_roles').values({ prior_role_id: prior, implied_role_id: implied }).onConflict((oc) => oc.doNothing()).execute();
    }
    // as keystone-manage bootstrap: the admin role on the project and on the system. The system grant
    // is made once: with the admin user, or for a database made before system scope (no system grant
    // at all yet); an operator who later revokes it does not get it back at the next start.
    const grants: Array<[string, string]> = [['project', project.id]];
    if (created || !(await tx.selectFrom('role_assignments').select('role_id').where('target_type', '=', SYSTEM).executeTakeFirst())) grants.push([SYSTEM, SYSTEM]);
    for (const [type, target] of grants) {
      await tx.insertInto('role_assignments').values({ target_type: type, actor_id: user.id, target_id: target, role_id: admin }).onConflict((oc) => oc.doNothing()).execute();
    }
    const region = cfg.identity.region;
    if (!(await tx.selectFrom('regions').select('id').where('id', '=', region).executeTakeFirst())) {
      await tx.insertInto('regions').values({ id: region, description: '', parent_region_id: null, extra: '{}' }).execute();
    }
    const keep = opts.keepEndpointUrls ?? false;
    await ensureService(tx, 'identity', 'keystone', `${urls.identity.replace(/\/+$/, '')}/v3`, region, keep);
    await ensureService(tx, 'network', 'neutron', urls.network, region, keep);
    await ensureService(tx, 'image-registry', 'registry', urls.registry, region, keep);
    return { ...(created || reset ? { adminPassword: password } : {}), created, reset };
  });
  // the agents' service user, with its password in <data dir>/agent-password
  await ensureServiceUser(database, cfg);
  return result;
}
