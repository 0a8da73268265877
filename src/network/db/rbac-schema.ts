/** Row types of the network RBAC tables (part of the one database Schema, src/common/db/schema.ts). */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface NetworkRbacSchema {}
