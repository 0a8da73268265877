// A fresh PostgreSQL database for one benchmark run, made through the URL's server and
// credentials (they need CREATEDB) and dropped afterwards, so runs start equal.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface BenchDatabase {
  /** the URL cloudlet is given */
  url: string;
  /** the server's version and durability settings, for the report ("PostgreSQL 15.10, fsync on, ...") */
  describe: string;
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
  const describe = await admin(serverUrl, async (c) => {
    await c.query(`CREATE DATABASE ${name}`);
    const show = async (setting: string): Promise<string> => (await c.query(`SHOW ${setting}`)).rows[0][setting] as string;
    const version = (await show('server_version')).split(' ')[0];
    const durability: string[] = [];
    for (const k of ['fsync', 'synchronous_commit', 'full_page_writes']) durability.push(`${k} ${await show(k)}`);
    return `PostgreSQL ${version} (${durability.join(', ')})`;
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    describe,
    drop: () => admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}
