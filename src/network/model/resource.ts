import { Errors, NeutronError } from './errors.js';
import type { Validator } from './validators.js';

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
