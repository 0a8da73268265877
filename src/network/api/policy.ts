// Neutron's policy enforcement for the generic controller (neutron/policy.py and
// neutron/api/v2/base.py): which named rules of src/network/model/policy-rules.ts a
// request must pass, and what a failure answers. The rules decide; this module
// only names them and picks 403 or 404.
import { allowed, type Target } from '../../common/policy/engine.js';
import { rules } from '../model/policy-rules.js';
import { Errors } from '../model/errors.js';
import { compiled, notFoundOf, type ResourceDef } from '../model/resource.js';
import type { Caller } from '../model/caller.js';

type Body = Record<string, unknown>;

const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

/** Throws PolicyNotAuthorized for the first rule of names that fails. */
function enforce(caller: Caller, names: string[], target: Target): void {
  for (const name of names) if (!allowed(rules, name, caller, target)) throw Errors.policyNotAuthorized(name);
}

/**
 * The rules an action needs: `<action>_<resource>`, then `<action>_<resource>:<attr>` for each
 * attribute set that is declared enforcePolicy and has a rule (neutron/policy.py
 * _build_match_rule: so create_subnet:service_types, in the table, is never consulted), then `<action>_<resource>:<attr>:<key>` for the keys of the
 * maps in a list value (fixed_ips: ip_address, subnet_id). Attributes without a rule are free.
 */
function ruleNames(def: ResourceDef, action: string, attrs: Iterable<string>, values: Body): string[] {
  const base = `${action}_${def.singular}`;
  const names = [base];
  for (const attr of attrs) {
    const name = `${base}:${attr}`;
    if (!def.attributes[attr]?.enforcePolicy || !Object.hasOwn(rules, name)) continue;
    names.push(name);
    const v = values[attr];
    if (!Array.isArray(v)) continue;
    for (const item of v) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
      for (const k of Object.keys(item)) {
        const sub = `${name}:${k}`;
        if (Object.hasOwn(rules, sub) && !names.includes(sub)) names.push(sub);
      }
    }
  }
  return names;
}

/**
 * neutron-lib's _validate_privileges: naming another project than the token's in a create
 * body is for admins and advanced services (context.is_admin / is_advsvc), else 400, before
 * any create rule is asked.
 */
export function authorizeProject(caller: Caller, item: Body): void {
  const project = item.project_id;
  if (project === undefined || project === null || project === caller.projectId) return;
  if (['context_is_admin', 'context_is_advsvc', 'service_api'].some((r) => allowed(rules, r, caller))) return;
  throw Errors.badRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin or advsvc privileges");
}

/**
 * create_<resource> and its attribute rules. item is the prepared body (defaults filled,
 * project_id set); given the attributes the client named. As Neutron
 * (_is_attribute_explicitly_set), an attribute given with its default value is not checked.
 */
export function authorizeCreate(def: ResourceDef, caller: Caller, item: Body, given: string[], related: Body = {}): void {
  const explicit = given
    .map((k) => (k === 'tenant_id' ? 'project_id' : k))
    .filter((k) => Object.hasOwn(def.attributes, k) && !('default' in def.attributes[k] && same(item[k], def.attributes[k].default)));
  enforce(caller, ruleNames(def, 'create', new Set(explicit), item), { ...item, ...related });
}

/** get_<resource>: a resource the caller may not see does not exist for it. */
export function authorizeShow(def: ResourceDef, caller: Caller, obj: Body, related: Body = {}): void {
  if (!allowed(rules, `get_${def.singular}`, caller, { ...obj, ...related })) throw notFoundOf(def, obj.id as string);
}

/**
 * update_<resource> and the rules of every attribute in the body, on the resource with the
 * changes applied. Refused: 403 when the caller may see the resource, else 404 (Neutron's _update).
 */
export function authorizeUpdate(def: ResourceDef, caller: Caller, original: Body, changes: Body, related: Body = {}): void {
  const target = { ...original, ...changes, ...related };
  try {
    enforce(caller, ruleNames(def, 'update', Object.keys(changes), changes), target);
  } catch (e) {
    authorizeShow(def, caller, original, related);
    throw e;
  }
}

/** delete_<resource>: 403 when the caller may see the resource, else 404. */
export function authorizeDelete(def: ResourceDef, caller: Caller, original: Body, related: Body = {}): void {
  authorizeAction(def, caller, `delete_${def.singular}`, original, related);
}

/** Any other named rule on a resource the caller reached (the tag rules): 403, or 404 when it may not see it. */
export function authorizeAction(def: ResourceDef, caller: Caller, name: string, obj: Body, related: Body = {}): void {
  const target = { ...obj, ...related };
  if (allowed(rules, name, caller, target)) return;
  authorizeShow(def, caller, obj, related);
  throw Errors.policyNotAuthorized(name);
}

const attrRules = new WeakMap<ResourceDef, Array<[string, string]>>();

/** The attributes whose get_<resource>:<attr> rule fails for this caller on this resource. */
export function hiddenAttributes(def: ResourceDef, caller: Caller, obj: Body): string[] {
  let list = attrRules.get(def);
  if (!list) {
    list = compiled(def).visible.map((a): [string, string] => [a, `get_${def.singular}:${a}`]).filter(([, r]) => Object.hasOwn(rules, r));
    attrRules.set(def, list);
  }
  const hidden: string[] = [];
  for (const [attr, rule] of list) if (!allowed(rules, rule, caller, obj)) hidden.push(attr);
  return hidden;
}
