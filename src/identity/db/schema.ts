/** Row types of the identity tables (part of the one database Schema, src/common/db/schema.ts). */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface IdentitySchema {}
