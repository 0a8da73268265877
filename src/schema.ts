import type { Migration } from 'kysely';
import type { IdentitySchema } from './identity/db/schema.js';
import { identityMigrations } from './identity/db/migrations.js';
import type { NetworkSchema } from './network/db/schema.js';
import { networkMigrations } from './network/db/migrations.js';

// The one database the services share, assembled here above them: each service owns its
// tables and migrations, and src/common/db only opens the database and runs what it is given.

/** Every table of every service. */
export interface Schema extends IdentitySchema, NetworkSchema {}

/**
 * Every service's migrations. All of them, always: the runner refuses a database that
 * recorded a migration it is not given, and runs them in name order whatever the service.
 */
export const migrations: Record<string, Migration> = { ...networkMigrations, ...identityMigrations };
