// Request body validation in Keystone's manner (its JSON schemas): a named
// wrapper object, typed fields, extra attributes kept where Keystone keeps them.
import { Errors } from '../errors.js';

export type FieldType = 'string' | 'boolean' | 'object' | 'array';

export interface Field {
  type: FieldType;
  nullable?: boolean;
  /** string length bounds */
  min?: number;
  max?: number;
  enum?: readonly string[];
  /** settable on create / on update (default true) */
  post?: boolean;
  put?: boolean;
  required?: boolean;
  /** on create, when absent */
  default?: unknown;
}

export type Fields = Record<string, Field>;
export type Body = Record<string, unknown>;

export const isObject = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? 'number' : typeof v);
export const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
};

export const invalid = (field: string, why: string) => Errors.validation(`Invalid input for field '${field}': ${why}`);

/** The object under `name` in the body: `{"project": {...}}`. */
export function unwrap(body: unknown, name: string): Body {
  if (!isObject(body)) throw Errors.validation(`'${name}' is a required property`);
  const inner = body[name];
  if (!isObject(inner)) throw Errors.validation(inner === undefined ? `'${name}' is a required property` : `Invalid input for field '${name}': ${show(inner)} is not of type 'object'`);
  return inner;
}

export function checkField(name: string, f: Field, v: unknown): void {
  if (v === null) {
    if (!f.nullable) throw invalid(name, `None is not of type '${f.type}'`);
    return;
  }
  if (typeName(v) !== f.type) throw invalid(name, `${show(v)} is not of type '${f.type}'`);
  if (typeof v === 'string') {
    if (v.includes('\0')) throw invalid(name, 'NUL characters are not allowed');
    if (f.min !== undefined && v.length < f.min) throw invalid(name, `${show(v)} is too short`);
    if (f.max !== undefined && v.length > f.max) throw invalid(name, `${show(v)} is too long`);
    if (f.enum && !f.enum.includes(v)) throw invalid(name, `${show(v)} is not one of ${JSON.stringify(f.enum)}`);
  }
}

/**
 * Checks `item` against `fields`; returns the declared values (defaults filled
 * on create) and the extra attributes (when allowed), which must be JSON scalars,
 * lists or maps under a name that no declared field or `id`/`links` takes.
 */
export function validate(fields: Fields, item: Body, mode: 'create' | 'update', allowExtra: boolean): { values: Body; extra: Body } {
  const values: Body = {};
  const extra: Body = {};
  for (const [k, v] of Object.entries(item)) {
    const f = Object.hasOwn(fields, k) ? fields[k] : undefined;
    if (!f) {
      if (k === 'id' || k === 'links' || !allowExtra) throw Errors.validation(`Additional properties are not allowed ('${k}' was unexpected)`);
      if (k.length > 255) throw Errors.validation('Attribute names must not be longer than 255 characters');
      extra[k] = v;
      continue;
    }
    if (mode === 'create' ? f.post === false : f.put === false) throw Errors.validation(`Additional properties are not allowed ('${k}' was unexpected)`);
    checkField(k, f, v);
    values[k] = v;
  }
  if (mode === 'create') {
    for (const [k, f] of Object.entries(fields)) {
      if (k in values || f.post === false) continue;
      if (f.required) throw Errors.validation(`'${k}' is a required property`);
      if ('default' in f) values[k] = structuredClone(f.default);
    }
  } else if (Object.keys(item).length === 0) {
    throw Errors.validation('At least one attribute must be given');
  }
  return { values, extra };
}
