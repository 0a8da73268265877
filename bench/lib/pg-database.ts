// A fresh PostgreSQL database for one benchmark run, made through the URL's server and
// credentials (they need CREATEDB) and dropped afterwards, so runs start equal.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface BenchDatabase {
  /** the URL cloudlet is given */
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function freshDatabase(serverUrl: string): Promise<BenchDatabase> {
  if (!/^postgres(ql)?:\/\//.test(serverUrl)) throw new Error(`--database-url must be a postgres:// URL, got ${JSON.stringify(serverUrl)}`);
  const name = `cloudlet_bench_${randomBytes(6).toString('hex')}`;
  await admin(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}
