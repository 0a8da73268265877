// A small real image built at test time: an OCI layout made with umoci from a rootfs
// holding Debian's static busybox (package busybox-static) and a few applet symlinks.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, open, readFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTool } from './backends.js';

const exec = promisify(execFile);

export const BUSYBOX = '/bin/busybox';
const APPLETS = ['sh', 'echo', 'ls', 'cat'];

export interface BusyboxImage {
  /** the OCI layout directory; use as `oci:${layout}:${tag}` */
  layout: string;
  tag: string;
  /** digest of the image manifest umoci wrote */
  digest: string;
}

/** true when the ELF file at `path` has no PT_INTERP program header (statically linked) */
async function isStaticElf(path: string): Promise<boolean> {
  const f = await open(path, 'r');
  try {
    const h = Buffer.alloc(64);
    await f.read(h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) throw new Error(`${path}: not a little-endian ELF64 file`);
    const phoff = Number(h.readBigUInt64LE(0x20));
    const phentsize = h.readUInt16LE(0x36);
    const phnum = h.readUInt16LE(0x38);
    const ph = Buffer.alloc(phentsize * phnum);
    await f.read(ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } finally {
    await f.close();
  }
}

/** Fails with a clear message unless umoci and a static /bin/busybox are installed. */
export async function requireBusyboxImageTools(): Promise<void> {
  requireTool('umoci', 'umoci');
  let isStatic: boolean;
  try {
    isStatic = await isStaticElf(BUSYBOX);
  } catch (err) {
    throw new Error(`${BUSYBOX}: ${(err as Error).message}: install Debian package busybox-static (npm test as root installs it)`);
  }
  if (!isStatic) throw new Error(`${BUSYBOX} is dynamically linked: install Debian package busybox-static (npm test as root installs it)`);
}

/** Builds the image under `dir` (umoci init/new/unpack/repack/config); about 1 MiB, well under a second. */
export async function buildBusyboxImage(dir: string, tag = 'latest'): Promise<BusyboxImage> {
  await requireBusyboxImageTools();
  const layout = join(dir, 'busybox-oci');
  const bundle = join(dir, 'busybox-bundle');
  const image = `${layout}:${tag}`;
  const umoci = (...args: string[]) => exec('umoci', args, { timeout: 60_000 });
  // unprivileged umoci needs --rootless to unpack; CI runs as root
  const rootless = process.getuid?.() === 0 ? [] : ['--rootless'];
  await umoci('init', '--layout', layout);
  await umoci('new', '--image', image);
  await umoci('unpack', ...rootless, '--image', image, bundle);
  const bin = join(bundle, 'rootfs', 'bin');
  await mkdir(bin, { recursive: true });
  await copyFile(BUSYBOX, join(bin, 'busybox'));
  for (const applet of APPLETS) await symlink('busybox', join(bin, applet));
  await umoci('repack', '--image', image, bundle);
  await umoci('config', '--image', image, '--config.cmd', '/bin/sh', '--config.env', 'PATH=/bin');
  await umoci('gc', '--layout', layout);
  await rm(bundle, { recursive: true, force: true });
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!entry) throw new Error(`umoci wrote no manifest tagged ${tag} in ${layout}/index.json`);
  return { layout, tag, digest: entry.digest };
}
