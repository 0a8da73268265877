import type { ExpressionBuilder } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import { hasGlobalScope } from '../model/policy-rules.js';
import { Errors } from '../model/errors.js';
import type { ListQuery } from '../model/list-query.js';
import type { Caller } from '../model/caller.js';
import { RBAC_ACTIONS, rbacPolicyDef } from '../model/resources/rbac-policy.js';
import { fromRow, listRows } from '../db/table.js';
import type { NewChange } from '../agents/change-log.js';
import { newId, type PluginContext } from './context.js';
import type { Networks } from './networks.js';

type Body = Record<string, unknown>;
type AnyEb = ExpressionBuilder<any, any>;

/** A policy changes which projects see its network: a change of that network for agents too. */
const rbacChange = (op: NewChange['op'], id: string, networkId: string): NewChange =>
  ({ resource: 'rbac_policy', op, id, network_ids: [networkId], hosts: [] });

export const ACCESS_SHARED = 'access_as_shared';
export const ACCESS_EXTERNAL = 'access_as_external';

/** Ids of the networks a project may use through RBAC (shared or external, to it or to '*'), as a subquery. */
export const openNetworkIds = (eb: AnyEb, projectId: string, action?: string) =>
  eb.selectFrom('network_rbacs').select('object_id')
    .where('target_tenant', 'in', ['*', projectId])
    .$if(action !== undefined, (qb) => qb.where('action', '=', action as string));

/** Ids of the networks shared with exactly this project (not through '*'), as a subquery. */
export const sharedToProjectIds = (eb: AnyEb, projectId: string) =>
  eb.selectFrom('network_rbacs').select('object_id').where('action', '=', ACCESS_SHARED).where('target_tenant', '=', projectId);

/** The caller reads its own project's resources (rule PROJECT_READER): the scopes leave them out otherwise. */
export const readsOwnProject = (caller: Caller): boolean => caller.roles.includes('reader');

/**
 * Sets networks.shared to whether an access_as_shared policy to '*' exists, and
 * networks.router_external to whether any access_as_external policy does when
 * dropExternal (Neutron turns a network internal when its last one goes).
 */
async function syncNetwork(tx: Tx, networkId: string, dropExternal: boolean): Promise<void> {
  const rows = await tx.selectFrom('network_rbacs').select(['action', 'target_tenant']).where('object_id', '=', networkId).execute();
  const set: { shared: number; router_external?: number } = { shared: rows.some((r) => r.action === ACCESS_SHARED && r.target_tenant === '*') ? 1 : 0 };
  if (dropExternal && !rows.some((r) => r.action === ACCESS_EXTERNAL)) set.router_external = 0;
  await tx.updateTable('networks').set(set).where('id', '=', networkId).execute();
}

/** Adds the policy to '*' that shared=True or router:external=True stands for (none when it exists). */
export async function openToAll(tx: Tx, networkId: string, projectId: string, action: string): Promise<void> {
  const found = await tx.selectFrom('network_rbacs').select('id')
    .where('object_id', '=', networkId).where('action', '=', action).where('target_tenant', '=', '*').executeTakeFirst();
  if (!found) await tx.insertInto('network_rbacs').values({ id: newId(), project_id: projectId, object_id: networkId, action, target_tenant: '*' }).execute();
}

/**
 * Neutron's ensure_no_tenant_ports_on_network: refuses (InvalidSharedSetting) to take
 * shared access away from a project that still has ports on the network; for '*', from any
 * project other than the owner's and those with their own policy.
 */
export async function ensureNoTenantPorts(tx: Tx, networkId: string, ownerId: string, tenant: string): Promise<void> {
  let q = tx.selectFrom('ports').select('id').where('network_id', '=', networkId);
  if (tenant === '*') {
    const others = await tx.selectFrom('network_rbacs').select('target_tenant')
      .where('object_id', '=', networkId).where('action', '=', ACCESS_SHARED).where('target_tenant', '!=', '*').execute();
    q = q.where('project_id', 'not in', [ownerId, '', ...others.map((o) => o.target_tenant)]);
  } else {
    const wildcard = await tx.selectFrom('network_rbacs').select('id')
      .where('object_id', '=', networkId).where('action', '=', ACCESS_SHARED).where('target_tenant', '=', '*').executeTakeFirst();
    if (wildcard) return;
    q = q.where('project_id', '=', tenant);
  }
  if (await q.limit(1).executeTakeFirst()) throw Errors.invalidSharedSetting(networkId);
}

async function loadPolicies(db: Db | Tx, ids: string[]): Promise<Body[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('network_rbacs').selectAll().where('id', 'in', ids).execute();
  return rows.map((r) => ({ ...fromRow(rbacPolicyDef, r), object_type: 'network' }));
}

/** The rbac-policies API for networks (Neutron's RbacPluginMixin with the network callbacks). */
export class RbacPolicies {
  constructor(private ctx: PluginContext, private networks: Networks) {}

  private scope(caller: Caller) {
    if (hasGlobalScope(caller)) return undefined;
    return (eb: AnyEb) => (readsOwnProject(caller) ? eb('project_id', '=', caller.projectId) : eb.lit(false));
  }

  async list(caller: Caller, q: ListQuery): Promise<Body[]> {
    const items = await listRows(this.ctx.db, rbacPolicyDef, q, {
      scope: this.scope(caller),
      computed: { object_type: (eb, values) => ((values as string[]).some((v) => v.toLowerCase() === 'network') ? eb.lit(true) : eb.lit(false)) },
    });
    for (const it of items) it.object_type = 'network';
    return items;
  }

  async get(caller: Caller, id: string): Promise<Body> {
    const [p] = await loadPolicies(this.ctx.db, [id]);
    if (!p || !(hasGlobalScope(caller) || (readsOwnProject(caller) && p.project_id === caller.projectId))) throw Errors.rbacPolicyNotFound(id);
    return p;
  }

  /** The network a policy is about, as the caller may see it; only its owner (or an admin) may change who else uses it. */
  private async ownedNetwork(caller: Caller, networkId: string): Promise<{ project_id: string; is_default: boolean }> {
    const net = await this.networks.summary(caller, networkId);
    if (!caller.isAdmin && net.project_id !== caller.projectId) {
      throw Errors.invalidInput('Only admins can manipulate policies on networks they do not own');
    }
    const row = await this.ctx.db.selectFrom('networks').select('is_default').where('id', '=', networkId).executeTakeFirst();
    return { project_id: net.project_id, is_default: row?.is_default === 1 };
  }

  private static async duplicate(tx: Tx, p: Body, except?: string): Promise<void> {
    const found = await tx.selectFrom('network_rbacs').select('id')
      .where('object_id', '=', p.object_id as string).where('action', '=', p.action as string).where('target_tenant', '=', p.target_tenant as string)
      .$if(except !== undefined, (qb) => qb.where('id', '!=', except as string)).executeTakeFirst();
    if (found) throw Errors.duplicateRbacPolicy();
  }

  async create(caller: Caller, items: Body[]): Promise<Body[]> {
    for (const item of items) {
      const valid = RBAC_ACTIONS[item.object_type as string];
      if (!valid.includes(item.action as string)) throw Errors.invalidActionForType(item.action as string, item.object_type as string, valid);
      await this.ownedNetwork(caller, item.object_id as string);
    }
    const ids = await this.ctx.tx(async (tx) => {
      await this.ctx.quotas.enforce(tx, 'rbac_policy', items);
      const out: string[] = [];
      for (const item of items) {
        await RbacPolicies.duplicate(tx, item);
        const id = newId();
        await tx.insertInto('network_rbacs').values({
          id, project_id: item.project_id as string, object_id: item.object_id as string,
          action: item.action as string, target_tenant: item.target_tenant as string,
        }).execute();
        // a policy to use a network as external makes it external (Neutron's _process_ext_policy_create)
        if (item.action === ACCESS_EXTERNAL) await tx.updateTable('networks').set({ router_external: 1 }).where('id', '=', item.object_id as string).execute();
        await syncNetwork(tx, item.object_id as string, false);
        out.push(id);
      }
      for (const [i, id] of out.entries()) await this.ctx.changeLog.record(tx, rbacChange('create', id, items[i].object_id as string));
      return out;
    });
    return loadPolicies(this.ctx.db, ids);
  }

  async update(caller: Caller, id: string, changes: Body): Promise<Body> {
    const original = await this.get(caller, id);
    const target = (changes.target_tenant ?? original.target_tenant) as string;
    const net = await this.ownedNetwork(caller, original.object_id as string);
    await this.ctx.tx(async (tx) => {
      if (target !== original.target_tenant) {
        await RbacPolicies.duplicate(tx, { ...original, target_tenant: target }, id);
        await this.checkAccessLoss(tx, original, net);
      }
      await tx.updateTable('network_rbacs').set({ target_tenant: target }).where('id', '=', id).execute();
      await syncNetwork(tx, original.object_id as string, false);
      await this.ctx.changeLog.record(tx, rbacChange('update', id, original.object_id as string));
    });
    return (await loadPolicies(this.ctx.db, [id]))[0];
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const original = await this.get(caller, id);
    const networkId = original.object_id as string;
    const row = await this.ctx.db.selectFrom('networks').select(['project_id', 'is_default']).where('id', '=', networkId).executeTakeFirst();
    await this.ctx.tx(async (tx) => {
      if (row) await this.checkAccessLoss(tx, original, { project_id: row.project_id, is_default: row.is_default === 1 });
      await tx.deleteFrom('network_rbacs').where('id', '=', id).execute();
      if (row) await syncNetwork(tx, networkId, original.action === ACCESS_EXTERNAL);
      await this.ctx.changeLog.record(tx, rbacChange('delete', id, networkId));
    });
  }

  /** What losing this policy's access would break answers RbacPolicyInUse (409). */
  private async checkAccessLoss(tx: Tx, policy: Body, net: { project_id: string; is_default: boolean }): Promise<void> {
    const networkId = policy.object_id as string;
    const target = policy.target_tenant as string;
    if (policy.action === ACCESS_SHARED) {
      if (target === net.project_id) return;
      try {
        await ensureNoTenantPorts(tx, networkId, net.project_id, target);
      } catch (e) {
        throw Errors.rbacPolicyInUse(networkId, (e as Error).message);
      }
    } else if (target === '*' && net.is_default) {
      throw Errors.rbacPolicyInUse(networkId, 'Default external networks must be shared to everyone.');
    }
  }
}
