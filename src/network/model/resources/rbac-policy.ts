import { Errors } from '../errors.js';
import { V } from '../validators.js';
import { defineResource, type ResourceOf } from '../resource.js';
import { idAttr, projectAttrs } from './common.js';

/** The object types cloudlet can share, and the actions on each (Neutron's rbac_db_models). */
export const RBAC_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  network: ['access_as_external', 'access_as_shared'],
};

/** neutron_lib's convert_valid_object_type: case and blanks do not matter, an unknown type is InvalidInput. */
function convertObjectType(v: unknown): unknown {
  const t = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
  if (t !== undefined && Object.hasOwn(RBAC_ACTIONS, t)) return t;
  throw new Error(`'${typeof v === 'string' ? v : JSON.stringify(v)}' is not a valid RBAC object type`);
}

/** The rbac-policies extension: who else may use a network (shared or as external). */
export const rbacPolicyDef = defineResource({
  singular: 'rbac_policy',
  plural: 'rbac_policies',
  collection: 'rbac-policies',
  kind: 'RbacPolicy',
  table: 'network_rbacs',
  notFound: (id) => Errors.rbacPolicyNotFound(id),
  attributes: {
    id: idAttr,
    ...projectAttrs,
    object_type: { kind: 'string', post: true, put: false, convert: convertObjectType, validate: V.string(255), column: false, filter: true, sort: false, enforcePolicy: true },
    object_id: { kind: 'uuid', post: true, put: false, validate: V.uuid(), enforcePolicy: true },
    action: { kind: 'string', post: true, put: false, validate: V.string(255), enforcePolicy: true },
    target_tenant: { kind: 'string', post: true, put: true, validate: V.string(255), enforcePolicy: true },
  },
});

export type RbacPolicy = ResourceOf<typeof rbacPolicyDef>;
