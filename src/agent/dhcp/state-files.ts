// The DHCP agent's per-network state directory (<stateDir>/<network id>/), the mark of
// what this agent made: a qdhcp- namespace or a dnsmasq is removed only when its
// network has a directory here holding OWNER_MARK.
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** network ids are UUIDs; anything else in the directory is not ours */
const NETWORK_DIR = /^[0-9a-fA-F-]{8,64}$/;

export async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** writes `content` through a temporary file and rename (dnsmasq never reads half a file); false when it already held it */
export async function writeIfChanged(path: string, content: string): Promise<boolean> {
  if ((await readText(path)) === content) return false;
  const tmp = `${path}.tmp-${process.pid}`;
  // dnsmasq drops to nobody and rereads these on SIGHUP: world-readable
  await writeFile(tmp, content, { mode: 0o644 });
  // whatever the umask: MACs and addresses are no secret, and nobody must read them
  await chmod(tmp, 0o644);
  await rename(tmp, path);
  return true;
}

/** makes `dir` and its missing parents 0755 whatever the umask (dnsmasq, as nobody, traverses them); existing ones keep their mode */
export async function ensureDir(dir: string): Promise<void> {
  const first = await mkdir(resolve(dir), { recursive: true, mode: 0o755 });
  if (first === undefined) return;
  for (let d = resolve(dir); d.startsWith(first); d = dirname(d)) await chmod(d, 0o755);
}

/** the file whose presence marks a network directory as this agent's (written before any link is made) */
export const OWNER_MARK = 'interface';

/** the network ids that have a state directory holding the agent's mark */
export async function ownedNetworkIds(stateDir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(stateDir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const ids = entries.filter((e) => e.isDirectory() && NETWORK_DIR.test(e.name)).map((e) => e.name);
  const marked = await Promise.all(ids.map((id) => stat(join(stateDir, id, OWNER_MARK)).then(() => true, () => false)));
  return ids.filter((_, i) => marked[i]);
}

export const isNetworkId = (id: string): boolean => NETWORK_DIR.test(id);

export async function removeNetworkDir(stateDir: string, networkId: string): Promise<void> {
  if (!isNetworkId(networkId)) return;
  await rm(join(stateDir, networkId), { recursive: true, force: true });
}

/**
 * dnsmasq drops to nobody and rereads its files on SIGHUP: every directory above them
 * must be searchable by others. Returns the first that is not (with its mode), or null.
 */
export async function unreachableByOthers(stateDir: string): Promise<string | null> {
  for (let dir = resolve(stateDir); ; dir = dirname(dir)) {
    const st = await stat(dir);
    if ((st.mode & 0o001) === 0) return `${dir} (mode ${(st.mode & 0o777).toString(8)})`;
    if (dir === dirname(dir)) return null;
  }
}
