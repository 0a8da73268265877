// Token signing keys: Ed25519 private keys, one PEM file each under
// <data_dir>/identity/keys/, named <kid>.pem. The kid starts with the key's
// creation time, so the newest key (the one that signs) sorts last.
import { generateKeyPairSync, createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SigningKey {
  kid: string;
  /** ms since the epoch */
  createdAt: number;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** beyond the token lifetime, for clocks of several servers that differ a little */
export const PRUNE_MARGIN_SECONDS = 300;

const KID = /^(\d{13})-([0-9a-f]{8})\.pem$/;

export const keyDir = (dataDir: string): string => join(dataDir, 'identity', 'keys');

/** the directory's mtime: it changes whenever a key is added or pruned */
export function keyDirVersion(dataDir: string): number {
  try {
    return statSync(keyDir(dataDir)).mtimeMs;
  } catch {
    return -1;
  }
}

/** Every key, oldest first. */
export function loadKeys(dataDir: string): SigningKey[] {
  let names: string[];
  try {
    names = readdirSync(keyDir(dataDir));
  } catch {
    return [];
  }
  const keys: SigningKey[] = [];
  for (const file of names.sort()) {
    const m = KID.exec(file);
    if (!m) continue;
    const privateKey = createPrivateKey(readFileSync(join(keyDir(dataDir), file)));
    keys.push({ kid: file.slice(0, -4), createdAt: Number(m[1]), privateKey, publicKey: createPublicKey(privateKey) });
  }
  return keys;
}

function writeKey(dataDir: string, now: number): string {
  const dir = keyDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const kid = `${String(now).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
  const { privateKey } = generateKeyPairSync('ed25519');
  const temp = join(dir, `.${kid}.tmp`);
  // written whole under another name first: a reader never sees half a key
  writeFileSync(temp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, join(dir, `${kid}.pem`));
  return kid;
}

/** Makes a first key when there is none; returns all keys. */
export function ensureKeys(dataDir: string): SigningKey[] {
  const keys = loadKeys(dataDir);
  if (keys.length) return keys;
  writeKey(dataDir, Date.now());
  return loadKeys(dataDir);
}

/**
 * A new signing key, and the old ones no token can need any more are pruned.
 * A key signs until the next one is made, so its tokens live until that
 * successor's creation plus the token lifetime: that, not the key's own age,
 * decides (plus a margin for clock differences between servers).
 */
export function rotateKeys(dataDir: string, tokenLifetime: number, now = Date.now()): { created: string; pruned: string[] } {
  const created = writeKey(dataDir, now);
  const keys = loadKeys(dataDir);
  const pruned: string[] = [];
  for (let i = 0; i < keys.length - 1; i++) {
    const retiredAt = keys[i + 1].createdAt;
    if (retiredAt + (tokenLifetime + PRUNE_MARGIN_SECONDS) * 1000 < now) {
      rmSync(join(keyDir(dataDir), `${keys[i].kid}.pem`), { force: true });
      pruned.push(keys[i].kid);
    }
  }
  return { created, pruned };
}
