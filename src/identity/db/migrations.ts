import type { Migration } from 'kysely';
import { up0002 } from './migration.js';
import { up0005 } from './groups-migration.js';
import { up0006 } from './project-tags-migration.js';
import { up0007 } from './inherited-migration.js';
import { up0008 } from './credentials-migration.js';
import { up0009 } from './extras-migration.js';

// Migrations are frozen once released: add a new one, never edit an old one. The runner
// records their names and runs them in name order across every service, so a name (and
// its number) never changes once released.

/** The identity service's migrations, in order. */
export const identityMigrations: Record<string, Migration> = {
  '0002_identity': { up: up0002 },
  '0005_identity_groups': { up: up0005 },
  '0006_identity_project_tags': { up: up0006 },
  '0007_identity_inherited': { up: up0007 },
  '0008_identity_credentials': { up: up0008 },
  '0009_identity_extras': { up: up0009 },
};
