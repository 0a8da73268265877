import type { Kysely } from 'kysely';

/** 0003_network_rbac: frozen once released */
export async function up0003(_db: Kysely<any>): Promise<void> {}
