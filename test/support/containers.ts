// podman, buildah and skopeo with private state: a storage root, runroot and tmpdir
// under a temp directory, a temp HOME and auth file, so that nothing reaches the
// host's /var/lib/containers or the user's podman configuration.
//
// Flags that work on the project's machines (../shared/ENVIRONMENT.md):
//   podman --root R --runroot RR --tmpdir T --storage-driver vfs
//          --cgroup-manager=cgroupfs --events-backend=file --runtime runc
//   podman run also needs --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 (no CAP_SYS_RESOURCE)
//   buildah --root R --runroot RR --storage-driver vfs
//   plain HTTP on 127.0.0.1: --tls-verify=false on push/pull
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTool } from './backends.js';

const exec = promisify(execFile);

export interface Output {
  stdout: string;
  stderr: string;
}

export interface ContainerTools {
  dir: string;
  env: NodeJS.ProcessEnv;
  podman(...args: string[]): Promise<Output>;
  buildah(...args: string[]): Promise<Output>;
  skopeo(...args: string[]): Promise<Output>;
  /** copies an image into this private store under `name` (e.g. localhost/busybox:v1), with skopeo */
  load(src: string, name: string): Promise<void>;
}

/** the flags podman run needs here besides the global ones */
export const PODMAN_RUN_FLAGS = ['--net=none', '--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096'];

const TIMEOUT_MS = 90_000;

/** Runs a command; on failure the error message carries the command line and its stderr. */
async function runTool(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Output> {
  try {
    const { stdout, stderr } = await exec(cmd, args, { env, timeout: TIMEOUT_MS, maxBuffer: 16 << 20, killSignal: 'SIGKILL' });
    return { stdout, stderr };
  } catch (err) {
    const e = err as Error & { stderr?: string; killed?: boolean };
    throw new Error(`${cmd} ${args.join(' ')} failed${e.killed ? ` (killed after ${TIMEOUT_MS} ms)` : ''}: ${e.stderr || e.message}`);
  }
}

/** Which tools a test needs: each missing one fails with the Debian package to install. */
export function requireContainerTools(...tools: ('podman' | 'buildah' | 'skopeo')[]): void {
  for (const t of tools) {
    requireTool(t, t);
    if (t === 'podman') requireTool('runc', 'runc');
  }
}

/** Private state for the tools under `dir` (which the caller removes). */
export async function containerTools(dir: string): Promise<ContainerTools> {
  const home = join(dir, 'home');
  const root = join(dir, 'storage');
  const runroot = join(dir, 'run');
  const tmp = join(dir, 'tmp');
  for (const d of [home, root, runroot, tmp]) await mkdir(d, { recursive: true });
  const authFile = join(home, 'auth.json');
  await writeFile(authFile, '{"auths":{}}\n');
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // the host's container settings stay out
    if (/^(REGISTRY_|CONTAINERS_|BUILDAH_|STORAGE_|XDG_)/.test(k) || k === 'DOCKER_CONFIG') continue;
    env[k] = v;
  }
  Object.assign(env, { HOME: home, REGISTRY_AUTH_FILE: authFile, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local/share') });
  const storage = ['--root', root, '--runroot', runroot, '--storage-driver', 'vfs'];
  const podmanFlags = [...storage, '--tmpdir', tmp, '--cgroup-manager=cgroupfs', '--events-backend=file', '--runtime', 'runc'];
  return {
    dir,
    env,
    podman: (...args) => runTool('podman', [...podmanFlags, ...args], env),
    buildah: (...args) => runTool('buildah', [...storage, ...args], env),
    skopeo: (...args) => runTool('skopeo', ['--insecure-policy', ...args], env),
    // `podman pull oci:DIR` would name the image after DIR, which need not be a valid name
    load: async (src, name) => void (await runTool('skopeo', ['--insecure-policy', 'copy', '--quiet', src, `containers-storage:[vfs@${root}+${runroot}]${name}`], env)),
  };
}
