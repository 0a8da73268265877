import { C, V } from '../validators.js';
import type { Attr } from '../resource.js';

// Attribute groups shared by every Neutron resource with standard attributes.

export const idAttr: Attr = { kind: 'uuid', post: false, put: false };

export const nameAttrs = {
  name: { kind: 'string', post: true, put: true, default: '', validate: V.string(255) },
  description: { kind: 'string', post: true, put: true, default: '', validate: V.string(255) },
} satisfies Record<string, Attr>;

export const projectAttrs = {
  project_id: { kind: 'string', post: true, put: false, default: null, validate: V.string(255) },
  tenant_id: { kind: 'string', post: true, put: false, default: null, validate: V.string(255), column: false },
} satisfies Record<string, Attr>;

export const standardAttrs = {
  revision_number: { kind: 'integer', post: false, put: false },
  created_at: { kind: 'string', post: false, put: false },
  updated_at: { kind: 'string', post: false, put: false },
  tags: { kind: 'list', post: false, put: false, column: false, filter: false },
} satisfies Record<string, Attr>;

export const booleanAttr = (dflt: boolean, put = true): Attr => ({
  kind: 'boolean', post: true, put, default: dflt, convert: C.boolean, validate: V.boolean(),
});

/** The attribute with neutron-lib's enforce_policy: its create_/update_ attribute rules apply. */
export const enforced = (attr: Attr): Attr => ({ ...attr, enforcePolicy: true });
