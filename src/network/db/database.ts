import type { Kysely, Transaction } from 'kysely';
import type { Database as SharedDatabase } from '../../common/db/index.js';
import type { NetworkSchema } from './schema.js';

// The network service's view of the one database the services share: its own tables.
export type Db = Kysely<NetworkSchema>;
export type Tx = Transaction<NetworkSchema>;
export type Database = SharedDatabase<NetworkSchema>;
