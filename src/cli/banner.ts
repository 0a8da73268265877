// What `cloudlet up` tells a person once it serves: each service and its URL,
// where state is kept, and where the admin's credentials are (the password
// itself only on the run that made it). Plain lines on stdout, never logged.

export interface BannerFacts {
  identity: string;
  network: string;
  registry: string;
  /** the agents started, or what was skipped and why */
  agents?: string;
  dataDir: string;
  /** "SQLite /path" or "PostgreSQL host:port/db" (never the URL: it may hold a password) */
  database: string;
  cloudsYaml: string;
  /** clouds.yaml holds the cloud */
  hasCloud: boolean;
  cloud: string;
  /** only on the run that created the admin user */
  createdPassword?: string;
  /** false when stdout is no terminal: a service's stdout elsewhere usually ends in a journal, where no password belongs */
  printPassword: boolean;
}

/** the database as a person may see it: PostgreSQL's URL without user or password */
export function describeDatabase(databaseUrl: string, sqlitePath: string | undefined): string {
  if (sqlitePath) return `SQLite ${sqlitePath}`;
  try {
    const u = new URL(databaseUrl);
    return `PostgreSQL ${u.host}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

export function banner(f: BannerFacts): string {
  const row = (k: string, v: string) => `  ${k.padEnd(12)}${v}\n`;
  let admin: string;
  if (f.createdPassword !== undefined && !f.printPassword) {
    admin = row('admin', `created user admin (domain Default, project admin); its password is in ${f.cloudsYaml} (cloud "${f.cloud}"), printed only on a terminal`);
  } else if (f.createdPassword !== undefined) {
    admin =
      row('admin', `created user admin (domain Default, project admin) with password: ${f.createdPassword}`) +
      row('', `wrote the cloud "${f.cloud}" to ${f.cloudsYaml}: try openstack --os-cloud ${f.cloud} network list`);
  } else if (f.hasCloud) {
    admin = row('admin', `credentials in ${f.cloudsYaml} (cloud "${f.cloud}"); lost them? cloudlet identity bootstrap sets a new password`);
  } else {
    admin = row('admin', `no cloud "${f.cloud}" in ${f.cloudsYaml}: cloudlet identity bootstrap sets a new admin password and writes it there`);
  }
  return (
    'cloudlet is up\n' +
    row('identity', `${f.identity}/v3`) +
    row('network', f.network) +
    row('registry', f.registry) +
    (f.agents ? row('agents', f.agents) : '') +
    row('data', f.dataDir) +
    row('database', f.database) +
    admin +
    'Ctrl-C stops it.\n'
  );
}
