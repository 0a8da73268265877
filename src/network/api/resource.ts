import { Errors, NeutronError } from './errors.js';
import type { Validator } from './validators.js';
import type { Credentials } from '../../common/policy/engine.js';

/**
 * One declaration per API resource, in the spirit of Neutron's attribute maps:
 * validation, defaults, visibility, filters, sorting, storage mapping and the
 * TypeScript type of the resource are all derived from it.
 */
export type Kind = 'string' | 'uuid' | 'boolean' | 'integer' | 'list' | 'dict';

interface KindTypes {
  string: string;
  uuid: string;
  boolean: boolean;
  integer: number;
  list: unknown[];
  dict: Record<string, unknown>;
}

export interface Attr {
  kind: Kind;
  nullable?: boolean;
  /** allow_post / allow_put */
  post?: boolean;
  put?: boolean;
  /** present means optional on create; a function is called per request */
  default?: unknown;
  /** converters throw Error(message) and answer InvalidInput, as neutron_lib's do */
  convert?: (v: unknown) => unknown;
  validate?: Validator;
  visible?: boolean;
  /** is_filter; defaults to true for scalar kinds */
  filter?: boolean;
  sort?: boolean;
  /** the column holding it; false for attributes computed from other tables */
  column?: string | false;
  /**
   * enforce_policy: create/update check `<action>_<resource>:<attr>` when it is set. As in
   * neutron-lib, a rule in the table for an attribute without it is never consulted.
   */
  enforcePolicy?: boolean;
}

export type Attrs = Record<string, Attr>;

type ValueOf<A extends Attr> = A['nullable'] extends true ? KindTypes[A['kind']] | null : KindTypes[A['kind']];
export type ResourceOf<D extends ResourceDef> = { [K in keyof D['attributes']]: ValueOf<D['attributes'][K]> };

export interface ResourceDef<A extends Attrs = Attrs> {
  singular: string;
  plural: string;
  /** the name used in NotFound errors: Network, Subnet, Port */
  kind: string;
  table: string;
  attributes: A;
  /** the URL segment when it is not the plural (rbac-policies for rbac_policies) */
  collection?: string;
  /** the 404 of this resource when it is not `<kind> <id> could not be found.` */
  notFound?: (id: string) => NeutronError;
}

/** The resource's NotFound error. */
export const notFoundOf = (def: ResourceDef, id: string): NeutronError => def.notFound?.(id) ?? Errors.notFound(def.kind, id);
/** The collection's URL segment under /v2.0. */
export const collectionOf = (def: ResourceDef): string => def.collection ?? def.plural;

export function defineResource<const A extends Attrs>(def: ResourceDef<A>): ResourceDef<A> {
  return def;
}

export const SCALAR: ReadonlySet<Kind> = new Set(['string', 'uuid', 'boolean', 'integer']);
export const isFilterable = (a: Attr): boolean => a.filter ?? (SCALAR.has(a.kind) && a.visible !== false);
export const isSortable = (a: Attr): boolean => a.sort ?? (SCALAR.has(a.kind) && a.column !== false && a.visible !== false);
export const columnOf = (name: string, a: Attr): string | undefined =>
  a.column === false ? undefined : (a.column ?? name.replace(/:/g, '_'));

/** What the hot paths need from a declaration, computed once per resource. */
export interface Compiled {
  /** stored attributes: API name, column, kind */
  columns: Array<{ name: string; col: string; kind: Kind }>;
  /** attributes shown at all (visible), before the get_<resource>:<attr> rules */
  visible: string[];
  /** JSON schema of the resource as shown, for the response serializer */
  schema: Record<string, unknown>;
}

const JSON_TYPES: Record<Kind, unknown> = {
  string: { type: ['string', 'null'] },
  uuid: { type: ['string', 'null'] },
  boolean: { type: ['boolean', 'null'] },
  integer: { type: ['integer', 'null'] },
  // lists and maps hold anything the declaration's validator allowed in
  list: { type: 'array', items: {} },
  dict: { type: 'object', additionalProperties: true },
};

const compiledCache = new WeakMap<ResourceDef, Compiled>();

export function compiled(def: ResourceDef): Compiled {
  let c = compiledCache.get(def);
  if (!c) {
    const entries = Object.entries(def.attributes);
    c = {
      columns: entries.flatMap(([name, a]) => {
        const col = columnOf(name, a);
        return col && name !== 'tenant_id' ? [{ name, col, kind: a.kind }] : [];
      }),
      visible: entries.filter(([, a]) => a.visible !== false).map(([n]) => n),
      schema: {
        type: 'object',
        properties: Object.fromEntries(entries.filter(([, a]) => a.visible !== false).map(([n, a]) => [n, JSON_TYPES[a.kind]])),
      },
    };
    compiledCache.set(def, c);
  }
  return c;
}

/**
 * Who is asking: the policy credentials (src/common/policy/engine.ts) of a
 * project-scoped caller, as an AuthStrategy builds them. roles holds the
 * implied roles too (admin → member → reader); isAdmin is roles.includes('admin').
 */
export interface Caller extends Credentials {
  projectId: string;
  userId?: string;
  roles: string[];
  readonly isAdmin: boolean;
}

/** Builds a Caller from credentials; the one place isAdmin is derived. */
export function makeCaller(c: { projectId: string; userId?: string; roles: readonly string[] }): Caller {
  const roles = [...new Set(c.roles)];
  return { projectId: c.projectId, ...(c.userId !== undefined ? { userId: c.userId } : {}), roles, isAdmin: roles.includes('admin') };
}

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
