// The clouds.yaml entry that lets `openstack --os-cloud cloudlet ...` work at once
// after the first `cloudlet up`. Other clouds in the file are kept as they are.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';

export interface CloudEntry {
  authUrl: string;
  username: string;
  password: string;
  projectName: string;
  region: string;
}

/** where openstacksdk looks first for a user's clouds (OS_CLIENT_CONFIG_FILE names another file) */
export function cloudsYamlPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.OS_CLIENT_CONFIG_FILE || join(env.HOME || homedir(), '.config', 'openstack', 'clouds.yaml');
}

/** writes (or replaces) clouds.<name>; the file holds a password, so it is made readable by its owner only */
export function writeCloudEntry(path: string, name: string, e: CloudEntry): void {
  const doc = parseDocument(existsSync(path) ? readFileSync(path, 'utf8') : '');
  if (doc.errors.length > 0) throw new Error(`${path}: not valid YAML (${doc.errors[0].message}); the ${name} entry was not written`);
  const root = doc.contents === null ? {} : doc.toJS();
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw new Error(`${path}: expected a mapping at the top level`);
  doc.setIn(['clouds', name], {
    auth: {
      auth_url: e.authUrl,
      username: e.username,
      password: e.password,
      project_name: e.projectName,
      user_domain_name: 'Default',
      project_domain_name: 'Default',
    },
    region_name: e.region,
    interface: 'public',
    identity_api_version: 3,
  });
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.cloudlet-tmp`;
  writeFileSync(temp, doc.toString(), { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

/** whether `path` holds clouds.<name> (false for a missing or unreadable file) */
export function hasCloudEntry(path: string, name: string): boolean {
  try {
    const root: unknown = parseDocument(readFileSync(path, 'utf8')).toJS();
    const clouds = (root as { clouds?: Record<string, unknown> } | null)?.clouds;
    return typeof clouds === 'object' && clouds !== null && name in clouds;
  } catch {
    return false;
  }
}

/** removes clouds.<name>, keeping the rest of the file; true when there was one */
export function removeCloudEntry(path: string, name: string): boolean {
  if (!hasCloudEntry(path, name)) return false;
  const doc = parseDocument(readFileSync(path, 'utf8'));
  doc.deleteIn(['clouds', name]);
  const temp = `${path}.cloudlet-tmp`;
  writeFileSync(temp, doc.toString(), { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
  return true;
}
