import type { Migration } from 'kysely';
import { up0001 } from './core-migration.js';
import { up0003 } from './rbac-migration.js';
import { up0004 } from './security-group-migration.js';
import { up0010 } from '../quota/migration.js';
import { up0011 } from '../agents/change-log-migration.js';
import { up0012 } from '../agents/migration.js';

// Migrations are frozen once released: add a new one, never edit an old one. The runner
// records their names and runs them in name order across every service, so a name (and
// its number) never changes once released.

/** The network service's migrations, in order. */
export const networkMigrations: Record<string, Migration> = {
  '0001_network_core': { up: up0001 },
  '0003_network_rbac': { up: up0003 },
  '0004_network_security_groups': { up: up0004 },
  '0010_network_quotas': { up: up0010 },
  '0011_network_change_log': { up: up0011 },
  '0012_network_agents': { up: up0012 },
};
