// Credentials found the way the openstack client finds them: --os-cloud or
// OS_CLOUD names an entry of clouds.yaml (OS_CLIENT_CONFIG_FILE, ./clouds.yaml,
// ~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml: the first that
// exists, as openstacksdk), and OS_* variables override it or stand alone.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { PasswordAuth } from '../common/keystone-session.js';

export function cloudsYamlSearchPath(env: NodeJS.ProcessEnv = process.env): string[] {
  return [
    ...(env.OS_CLIENT_CONFIG_FILE ? [env.OS_CLIENT_CONFIG_FILE] : []),
    join(process.cwd(), 'clouds.yaml'),
    join(env.HOME || homedir(), '.config', 'openstack', 'clouds.yaml'),
    '/etc/openstack/clouds.yaml',
  ];
}

type Auth = Partial<PasswordAuth>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

function fromCloud(name: string, env: NodeJS.ProcessEnv): Auth {
  const file = cloudsYamlSearchPath(env).find((p) => existsSync(p));
  if (!file) throw new Error(`cloud "${name}": no clouds.yaml (looked in ${cloudsYamlSearchPath(env).join(', ')})`);
  let doc: { clouds?: Record<string, { auth?: Record<string, unknown>; auth_type?: string; region_name?: string; interface?: string }> };
  try {
    doc = parse(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const cloud = doc.clouds?.[name];
  if (!cloud) throw new Error(`cloud "${name}" is not in ${file}`);
  if (cloud.auth_type && !/^(v3)?password$/.test(cloud.auth_type)) throw new Error(`cloud "${name}" in ${file}: auth_type ${cloud.auth_type} is not supported (password only)`);
  const a = cloud.auth ?? {};
  return pick((k) => (k === 'region_name' || k === 'interface' ? str(cloud[k]) : str(a[k])), (f) => f.cloud);
}

// each field: its clouds.yaml keys and its OS_* variables, the first set winning
const FIELDS: Array<{ field: keyof PasswordAuth; cloud: string[]; env: string[] }> = [
  { field: 'authUrl', cloud: ['auth_url'], env: ['OS_AUTH_URL'] },
  { field: 'username', cloud: ['username'], env: ['OS_USERNAME'] },
  { field: 'password', cloud: ['password'], env: ['OS_PASSWORD'] },
  { field: 'projectName', cloud: ['project_name', 'tenant_name'], env: ['OS_PROJECT_NAME', 'OS_TENANT_NAME'] },
  { field: 'projectId', cloud: ['project_id', 'tenant_id'], env: ['OS_PROJECT_ID', 'OS_TENANT_ID'] },
  { field: 'userDomainName', cloud: ['user_domain_name', 'domain_name'], env: ['OS_USER_DOMAIN_NAME'] },
  { field: 'userDomainId', cloud: ['user_domain_id', 'domain_id'], env: ['OS_USER_DOMAIN_ID'] },
  { field: 'projectDomainName', cloud: ['project_domain_name', 'domain_name'], env: ['OS_PROJECT_DOMAIN_NAME'] },
  { field: 'projectDomainId', cloud: ['project_domain_id', 'domain_id'], env: ['OS_PROJECT_DOMAIN_ID'] },
  { field: 'regionName', cloud: ['region_name'], env: ['OS_REGION_NAME'] },
  { field: 'interface', cloud: ['interface'], env: ['OS_INTERFACE'] },
];

function pick(read: (key: string) => string | undefined, keys: (f: (typeof FIELDS)[number]) => string[]): Auth {
  const out: Auth = {};
  for (const f of FIELDS) out[f.field] = keys(f).map(read).find((v) => v !== undefined);
  return out;
}

const fromEnv = (env: NodeJS.ProcessEnv): Auth => pick((k) => str(env[k]), (f) => f.env);

/** the password credentials of --os-cloud / OS_CLOUD and OS_*; throws one line naming what is missing */
export function osCredentials(opts: { osCloud?: string; env?: NodeJS.ProcessEnv } = {}): PasswordAuth {
  const env = opts.env ?? process.env;
  const cloud = opts.osCloud ?? str(env.OS_CLOUD);
  const base = cloud ? fromCloud(cloud, env) : {};
  const over = Object.fromEntries(Object.entries(fromEnv(env)).filter(([, v]) => v !== undefined));
  const a: Auth = { ...base, ...over };
  const missing = (['authUrl', 'username', 'password'] as const).filter((k) => !a[k]);
  if (missing.length) {
    const names = { authUrl: 'auth_url (OS_AUTH_URL)', username: 'username (OS_USERNAME)', password: 'password (OS_PASSWORD)' };
    throw new Error(`no credentials: ${missing.map((k) => names[k]).join(', ')} missing; give --os-cloud NAME (clouds.yaml) or set OS_CLOUD or OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME`);
  }
  return a as PasswordAuth;
}
