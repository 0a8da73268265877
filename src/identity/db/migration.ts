import type { Kysely } from 'kysely';

/** 0002_identity: frozen once released */
export async function up0002(_db: Kysely<any>): Promise<void> {}
