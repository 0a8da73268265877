import type { Kysely, Transaction } from 'kysely';
import type { Database as SharedDatabase } from '../../common/db/index.js';
import type { IdentitySchema } from './schema.js';

// The identity service's view of the one database the services share: its own tables.
export type Db = Kysely<IdentitySchema>;
export type Tx = Transaction<IdentitySchema>;
export type Database = SharedDatabase<IdentitySchema>;
