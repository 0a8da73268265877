import type { Db, Tx } from '../db/database.js';
import { hasGlobalScope } from '../model/policy-rules.js';
import { Errors } from '../model/errors.js';
import type { ListQuery } from '../model/list-query.js';
import type { Caller } from '../model/caller.js';
import { IP_PROTOCOL_MAP, securityGroupDef, securityGroupRuleDef } from '../model/resources/security-group.js';
import { fromRow, listRows, toRow } from '../db/table.js';
import { parseIp } from '../../common/net-address.js';
import { newId, now, type PluginContext } from './context.js';
import { group, loadTags } from './extend.js';
import { readsOwnProject } from './rbac.js';
import { sgChange } from '../agents/change-log.js';
import { egressRules, SecurityGroupBindings } from './security-group-bindings.js';

type Body = Record<string, unknown>;

async function loadRules(db: Db | Tx, ids: string[]): Promise<Body[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('security_group_rules').selectAll().where('id', 'in', ids).execute();
  return rows.map((r) => fromRow(securityGroupRuleDef, r));
}

/** Each group's rules, embedded as Neutron shows them, and its tags. */
async function extendGroups(db: Db | Tx, items: Body[]): Promise<void> {
  if (items.length === 0) return;
  const rows = await db.selectFrom('security_group_rules').selectAll()
    .where('security_group_id', 'in', items.map((i) => i.id as string)).orderBy('created_at').orderBy('id').execute();
  const by = group(rows, (r) => r.security_group_id, (r) => fromRow(securityGroupRuleDef, r));
  for (const g of items) g.security_group_rules = by.get(g.id as string) ?? [];
  await loadTags(db, items);
}

async function loadGroups(db: Db | Tx, ids: string[]): Promise<Body[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('security_groups').selectAll().where('id', 'in', ids).execute();
  const items = rows.map((r) => fromRow(securityGroupDef, r));
  await extendGroups(db, items);
  return items;
}

/** The project a list is about (its project_id/tenant_id filter, else the caller's): Neutron makes its default group first. */
function listedProject(caller: Caller, q: ListQuery): string {
  const f = q.filters.get('project_id') ?? q.filters.get('tenant_id');
  return f && f.length ? String(f[0]) : caller.projectId;
}

/** The security-group API (Neutron's SecurityGroupDbMixin). */
export class SecurityGroups {
  readonly bindings: SecurityGroupBindings;

  constructor(private ctx: PluginContext) {
    this.bindings = new SecurityGroupBindings(ctx.changeLog);
  }

  /** _ensure_default_security_group: never for another project than the caller's, unless an admin asks. */
  async ensureDefault(caller: Caller, projectId: string): Promise<void> {
    if (!projectId || (projectId !== caller.projectId && !caller.isAdmin)) return;
    const found = await this.ctx.db.selectFrom('security_groups').select('id').where('project_id', '=', projectId).where('name', '=', 'default').executeTakeFirst();
    if (!found) await this.ctx.tx((tx) => this.bindings.defaultGroup(tx, projectId));
  }

  async list(caller: Caller, q: ListQuery): Promise<Body[]> {
    await this.ensureDefault(caller, listedProject(caller, q));
    const items = await listRows(this.ctx.db, securityGroupDef, q, {
      scope: hasGlobalScope(caller) ? undefined : (eb) => (readsOwnProject(caller) ? eb('project_id', '=', caller.projectId) : eb.lit(false)),
    });
    await extendGroups(this.ctx.db, items);
    return items;
  }

  async get(caller: Caller, id: string): Promise<Body> {
    const [g] = await loadGroups(this.ctx.db, [id]);
    if (!g || !(hasGlobalScope(caller) || (readsOwnProject(caller) && g.project_id === caller.projectId))) throw Errors.securityGroupNotFound(id);
    return g;
  }

  async create(caller: Caller, items: Body[]): Promise<Body[]> {
    for (const p of new Set(items.map((i) => i.project_id as string))) await this.ensureDefault(caller, p);
    const ids = await this.ctx.tx(async (tx) => {
      // the default group counts but is never refused; a new group's template rules count too (as Neutron's quota_limit_check)
      await this.ctx.quotas.enforce(tx, 'security_group', items);
      await this.ctx.quotas.enforce(tx, 'security_group_rule', items, egressRules('', '', '').length);
      const out: string[] = [];
      for (const item of items) {
        const id = newId();
        const t = now();
        const row = toRow(securityGroupDef, { ...item, id, revision_number: 1, created_at: t, updated_at: t });
        await tx.insertInto('security_groups').values(row as never).execute();
        await tx.insertInto('security_group_rules').values(egressRules(id, item.project_id as string, t)).execute();
        out.push(id);
      }
      for (const id of out) await this.ctx.changeLog.record(tx, sgChange('create', id));
      return out;
    });
    const made = await loadGroups(this.ctx.db, ids);
    return ids.map((id) => made.find((g) => g.id === id)!);
  }

  private static async inUse(db: Db | Tx, id: string): Promise<boolean> {
    return (await db.selectFrom('port_security_groups').select('port_id').where('security_group_id', '=', id).limit(1).executeTakeFirst()) !== undefined;
  }

  async update(caller: Caller, id: string, changes: Body): Promise<Body> {
    const original = await this.get(caller, id);
    await this.ctx.tx(async (tx) => {
      if ('stateful' in changes && changes.stateful !== original.stateful && (await SecurityGroups.inUse(tx, id))) throw Errors.securityGroupInUse(id);
      if (original.name === 'default' && 'name' in changes) throw Errors.securityGroupCannotUpdateDefault();
      const row = toRow(securityGroupDef, changes);
      await tx.updateTable('security_groups')
        .set({ ...row, revision_number: (original.revision_number as number) + 1, updated_at: now() } as never)
        .where('id', '=', id).execute();
      await this.ctx.changeLog.record(tx, sgChange('update', id));
    });
    return (await loadGroups(this.ctx.db, [id]))[0];
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const original = await this.get(caller, id);
    await this.ctx.tx(async (tx) => {
      if (await SecurityGroups.inUse(tx, id)) throw Errors.securityGroupInUse(id);
      if (original.name === 'default' && !caller.isAdmin) throw Errors.securityGroupCannotRemoveDefault();
      // rules of the group, and rules of other groups naming it as their remote group (Neutron's cascade)
      const others = await tx.selectFrom('security_group_rules').select('id').where('remote_group_id', '=', id).where('security_group_id', '!=', id).execute();
      await tx.deleteFrom('security_group_rules').where((eb) => eb.or([eb('security_group_id', '=', id), eb('remote_group_id', '=', id)])).execute();
      await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
      await tx.deleteFrom('security_groups').where('id', '=', id).execute();
      for (const r of others) await this.ctx.changeLog.record(tx, sgChange('delete', r.id, 'security_group_rule'));
      await this.ctx.changeLog.record(tx, sgChange('delete', id));
    });
  }
}

// ------------------------------------------------------------------ rules

const PORT_PROTOCOLS = new Set([33, 132, 6, 17, 136]);
const IPV6_ONLY = new Set(['ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', '41', '44', '58', '59', '60', '43']);
const invalid = Errors.sgInvalid;

/** _get_ip_proto_number */
function protoNumber(p: string): number {
  return Object.hasOwn(IP_PROTOCOL_MAP, p) ? IP_PROTOCOL_MAP[p] : Number(p);
}

/** Neutron's _validate_base_security_group_rule_attributes, canonicalising rule in place. */
function validateRule(rule: Body): void {
  // legacy IPv6 ICMP names and number
  if (rule.ethertype === 'IPv6') {
    if (rule.protocol === 'icmp' || rule.protocol === 'icmpv6') rule.protocol = 'ipv6-icmp';
    else if (rule.protocol === '1') rule.protocol = '58';
  }
  // the whole port range is no range
  if (rule.port_range_min === 1 && rule.port_range_max === 65535) rule.port_range_min = rule.port_range_max = null;
  const min = rule.port_range_min as number | null;
  const max = rule.port_range_max as number | null;
  if (min !== null || max !== null) {
    if (!rule.protocol) throw invalid('SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.');
    const proto = protoNumber(rule.protocol as string);
    if (PORT_PROTOCOLS.has(proto)) {
      if (min === 0 || max === 0) throw invalid('SecurityGroupInvalidPortValue', 'Invalid value for port 0');
      if (!(min !== null && max !== null && min <= max)) throw invalid('SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
    } else if (proto === 1 || proto === 58) {
      for (const [attr, field, v] of [['port_range_min', 'type', min], ['port_range_max', 'code', max]] as const) {
        if (v !== null && !(v >= 0 && v <= 255)) throw invalid('SecurityGroupInvalidIcmpValue', `Invalid value for ICMP ${field} (${attr}) ${v}. It must be 0 to 255.`);
      }
      if (min === null && max !== null) throw invalid('SecurityGroupMissingIcmpType', `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`);
    } else {
      throw invalid('SecurityGroupInvalidProtocolForPort', `Ports cannot be specified for protocol ${proto}. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.`);
    }
  }
  const prefix = rule.remote_ip_prefix as string | null;
  if (prefix) {
    const version = parseIp(prefix.split('/')[0])?.version;
    if (rule.ethertype !== `IPv${version}`) throw invalid('SecurityGroupRuleParameterConflict', `Conflicting value ethertype ${rule.ethertype as string} for CIDR ${prefix}`);
  }
  if (rule.ethertype === 'IPv4' && IPV6_ONLY.has(rule.protocol as string)) {
    throw invalid('SecurityGroupEthertypeConflictWithProtocol', `Invalid ethertype ${rule.ethertype} for protocol ${rule.protocol as string}.`);
  }
  if (prefix && rule.remote_group_id) {
    throw invalid('SecurityGroupMultipleRemoteEntites', 'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.');
  }
}

const NUM_TO_NAME: Record<string, string> = Object.fromEntries(Object.entries(IP_PROTOCOL_MAP).filter(([k]) => k !== 'icmpv6').map(([k, v]) => [String(v), k]));

/** _rule_to_key: what makes two rules the same (a protocol by name or number, any address as none). */
function ruleKey(rule: Body): string {
  const norm = (k: string, v: unknown): string => {
    if (k === 'remote_ip_prefix') return v === null || v === undefined || v === '0.0.0.0/0' || v === '::/0' ? '+' : String(v);
    if (v === null || v === undefined) return '+';
    if (k === 'protocol') {
      let p = String(v);
      if (rule.ethertype === 'IPv6') {
        if (p === 'icmp' || p === 'icmpv6') p = 'ipv6-icmp';
        else if (p === '1') p = '58';
      }
      if (p === 'icmpv6') p = 'ipv6-icmp';
      if (Object.hasOwn(IP_PROTOCOL_MAP, p)) return `${p}/${IP_PROTOCOL_MAP[p]}`;
      if (Object.hasOwn(NUM_TO_NAME, p)) return `${NUM_TO_NAME[p]}/${p}`;
      return `${p}/${p}`;
    }
    return String(v);
  };
  return ['direction', 'ethertype', 'port_range_max', 'port_range_min', 'protocol', 'remote_group_id', 'remote_ip_prefix', 'security_group_id']
    .map((k) => norm(k, rule[k])).join('_');
}

/** The security-group-rules API. */
export class SecurityGroupRules {
  constructor(private ctx: PluginContext, private groups: SecurityGroups) {}

  /** The owner of the rule's group, for the sg_owner rules; for a new rule, SecurityGroupNotFound when the rule's project may not use it. */
  async related(caller: Caller, item: Body, existing: boolean): Promise<Body> {
    const sg = await this.ctx.db.selectFrom('security_groups').select(['id', 'project_id'])
      .where('id', '=', String(item.security_group_id)).executeTakeFirst();
    if (!existing && (!sg || !(hasGlobalScope(caller) || sg.project_id === item.project_id))) {
      throw Errors.securityGroupNotFound(String(item.security_group_id));
    }
    return sg ? { 'security_group:project_id': sg.project_id, 'security_group:tenant_id': sg.project_id } : {};
  }

  private scope(caller: Caller) {
    if (hasGlobalScope(caller)) return undefined;
    // get_security_group_rule: the group's owner reads its rules
    return (eb: any) => (readsOwnProject(caller)
      ? eb('security_group_id', 'in', eb.selectFrom('security_groups').select('id').where('project_id', '=', caller.projectId))
      : eb.lit(false));
  }

  async list(caller: Caller, q: ListQuery): Promise<Body[]> {
    await this.groups.ensureDefault(caller, listedProject(caller, q));
    return listRows(this.ctx.db, securityGroupRuleDef, q, { scope: this.scope(caller) });
  }

  async get(caller: Caller, id: string): Promise<Body> {
    const [r] = await loadRules(this.ctx.db, [id]);
    if (!r) throw Errors.securityGroupRuleNotFound(id);
    if (!hasGlobalScope(caller)) {
      const sg = await this.ctx.db.selectFrom('security_groups').select('project_id').where('id', '=', r.security_group_id as string).executeTakeFirst();
      if (!readsOwnProject(caller) || sg?.project_id !== caller.projectId) throw Errors.securityGroupRuleNotFound(id);
    }
    return r;
  }

  async create(caller: Caller, items: Body[]): Promise<Body[]> {
    if (items.length > 1) {
      if (new Set(items.map((i) => i.security_group_id)).size > 1) throw invalid('SecurityGroupNotSingleGroupRules', 'Only allowed to update rules for one security profile at a time');
      if (new Set(items.map((i) => i.project_id)).size > 1) throw invalid('SecurityGroupRulesNotSingleProject', 'Multiple project_ids in bulk security group rule create not allowed');
    }
    for (const rule of items) {
      validateRule(rule);
      const remote = rule.remote_group_id as string | null;
      if (remote) {
        const sg = await this.ctx.db.selectFrom('security_groups').select('project_id').where('id', '=', remote).executeTakeFirst();
        if (!sg || !(hasGlobalScope(caller) || sg.project_id === rule.project_id)) throw Errors.securityGroupNotFound(remote);
      }
    }
    const sgId = items[0].security_group_id as string;
    const ids = await this.ctx.tx(async (tx) => {
      await this.ctx.quotas.enforce(tx, 'security_group_rule', items);
      const keys = new Set<string>();
      for (const rule of items) {
        const k = ruleKey(rule);
        if (keys.has(k)) throw Errors.duplicateSecurityGroupRuleInPost();
        keys.add(k);
      }
      const existing = await tx.selectFrom('security_group_rules').selectAll().where('security_group_id', '=', sgId).execute();
      for (const e of existing) {
        const r = fromRow(securityGroupRuleDef, e);
        if (keys.has(ruleKey(r))) throw Errors.securityGroupRuleExists(r.id as string);
      }
      const out: string[] = [];
      const t = now();
      for (const rule of items) {
        const id = newId();
        await tx.insertInto('security_group_rules').values(toRow(securityGroupRuleDef, { ...rule, id, revision_number: 0, created_at: t, updated_at: t }) as never).execute();
        out.push(id);
      }
      // a rule change is a change of its group
      await tx.updateTable('security_groups').set((eb) => ({ revision_number: eb('revision_number', '+', 1), updated_at: t })).where('id', '=', sgId).execute();
      for (const id of out) await this.ctx.changeLog.record(tx, sgChange('create', id, 'security_group_rule'));
      return out;
    });
    const made = await loadRules(this.ctx.db, ids);
    return ids.map((id) => made.find((r) => r.id === id)!);
  }

  /** Rules have no attribute to update (every one is read-only after create). */
  async update(caller: Caller, id: string, _changes: Body): Promise<Body> {
    return this.get(caller, id);
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const r = await this.get(caller, id);
    await this.ctx.tx(async (tx) => {
      await tx.deleteFrom('security_group_rules').where('id', '=', id).execute();
      await tx.updateTable('security_groups').set((eb) => ({ revision_number: eb('revision_number', '+', 1), updated_at: now() }))
        .where('id', '=', r.security_group_id as string).execute();
      await this.ctx.changeLog.record(tx, sgChange('delete', id, 'security_group_rule'));
    });
  }
}
