// The request and response bodies of the generic controller: a resource (or a bulk list)
// unwrapped from a request, validated against its declaration, and trimmed for an answer.
import { Errors, NeutronError } from '../model/errors.js';
import type { Caller } from '../model/caller.js';
import { compiled, type Attr, type ResourceDef } from '../model/resource.js';

type Body = Record<string, unknown>;

function isObject(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Neutron's message shape for a validator's complaint. */
function invalid(attr: string, reason: string): NeutronError {
  return Errors.badRequest(`Invalid input for ${attr}. Reason: ${reason}.`);
}

function convertAndValidate(name: string, a: Attr, value: unknown): unknown {
  let v = value;
  if (a.convert && !(v === null && a.nullable)) {
    try {
      v = a.convert(v);
    } catch (e) {
      if (e instanceof NeutronError) throw e;
      throw Errors.invalidInput((e as Error).message);
    }
  }
  if (v === null && !a.nullable && a.kind !== 'dict') throw invalid(name, `'None' is not a valid ${a.kind === 'uuid' ? 'UUID' : a.kind}`);
  if (a.validate && !(v === null && a.nullable)) {
    const msg = a.validate(v);
    if (msg) throw invalid(name, msg);
  }
  return v;
}

/** Extracts the one resource (or the bulk list) from a request body. */
export function unwrapBody(def: ResourceDef, body: unknown, allowBulk: boolean): Body[] {
  if (isObject(body)) {
    if (isObject(body[def.singular]) && Object.keys(body).length === 1) return [body[def.singular] as Body];
    if (allowBulk && Array.isArray(body[def.plural]) && Object.keys(body).length === 1) {
      const items = body[def.plural] as unknown[];
      if (items.length === 0) throw Errors.badRequest(`Resources required`);
      return items.map((it) => {
        if (isObject(it) && isObject(it[def.singular])) return it[def.singular] as Body;
        if (isObject(it)) return it;
        throw Errors.badRequest(`Unable to find '${def.singular}' in request body`);
      });
    }
  }
  throw Errors.badRequest(`Unable to find '${def.singular}' in request body`);
}

function checkUnknown(def: ResourceDef, item: Body): void {
  // own keys only: 'constructor' or 'toString' are in every object, and no attribute
  const unknown = Object.keys(item).filter((k) => !Object.hasOwn(def.attributes, k));
  if (unknown.length) throw Errors.badRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
}

/** Validates a create request and fills defaults; the result holds every post-able attribute. */
export function prepareCreate(def: ResourceDef, item: Body, caller: Caller): Body {
  checkUnknown(def, item);
  // tenant_id and project_id are one attribute under two names
  if ('tenant_id' in item && 'project_id' in item && item.tenant_id !== item.project_id) {
    throw Errors.badRequest("'project_id' and 'tenant_id' do not match");
  }
  const out: Body = {};
  for (const [name, a] of Object.entries(def.attributes)) {
    if (!(name in item)) continue;
    if (!a.post) throw Errors.badRequest(`Attribute '${name}' not allowed in POST`);
    out[name] = convertAndValidate(name, a, item[name]);
  }
  for (const [name, a] of Object.entries(def.attributes)) {
    if (!a.post || name in out) continue;
    if (!('default' in a)) throw Errors.badRequest(`Failed to parse request. Required attribute '${name}' not specified`);
    out[name] = typeof a.default === 'function' ? (a.default as () => unknown)() : structuredClone(a.default);
  }
  const project = (out.project_id ?? out.tenant_id ?? null) as string | null;
  if ('project_id' in def.attributes) {
    // another project than the caller's is the create_<resource> rule's to allow (admins only)
    out.project_id = project ?? caller.projectId;
    delete out.tenant_id;
  }
  return out;
}

/** Validates an update request: only put-able attributes, converted and validated. */
export function prepareUpdate(def: ResourceDef, body: unknown): Body {
  const [item] = unwrapBody(def, body, false);
  checkUnknown(def, item);
  const out: Body = {};
  for (const [name, value] of Object.entries(item)) {
    const a = def.attributes[name];
    if (!a.put) throw Errors.badRequest(`Cannot update read-only attribute ${name}`);
    out[name] = convertAndValidate(name, a, value);
  }
  return out;
}

/** Keeps the attributes shown (less those in hidden: get_<resource>:<attr> rules that failed) and only the requested fields. */
export function present(def: ResourceDef, obj: Body, hidden: readonly string[], fields: string[] | undefined): Body {
  const c = compiled(def);
  // the serializer's schema already limits output to declared attributes
  if (!fields && hidden.length === 0 && c.visible.length === Object.keys(def.attributes).length) return obj;
  const out: Body = {};
  for (const name of c.visible) {
    if (fields && !fields.includes(name)) continue;
    if (hidden.includes(name)) continue;
    const v = obj[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}
