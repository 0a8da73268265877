// Encryption at rest of credential blobs (Keystone encrypts them with fernet
// keys from [credential] key_repository). Written by hand on node:crypto's
// AES-256-GCM: node:crypto is the well-kept library, and Keystone's fernet
// format would buy nothing, since nothing but this service reads the column.
//
// Keys: one file each under <data_dir>/identity/credential-keys/<kid>.key
// (0600 in a 0700 directory, as the signing keys in keys.ts), 32 random bytes
// in base64, the first made on first need. The newest key (kids sort by
// creation time) encrypts; a row keeps its key's id, so any kept key decrypts.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const KID = /^(\d{13}-[0-9a-f]{8})\.key$/;
const IV = 12;
const TAG = 16;

export const credentialKeyDir = (dataDir: string): string => join(dataDir, 'identity', 'credential-keys');

export interface Sealed {
  /** base64 of nonce ‖ ciphertext ‖ tag */
  encrypted_blob: string;
  key_id: string;
}

export class CredentialKeys {
  private keys = new Map<string, Buffer>();
  private newest: string | undefined;

  constructor(private dataDir: string) {}

  /** re-read the directory: another process sharing the data dir may have made a key */
  private load(): void {
    let names: string[];
    try {
      names = readdirSync(credentialKeyDir(this.dataDir));
    } catch {
      names = [];
    }
    for (const file of names.sort()) {
      const m = KID.exec(file);
      if (!m) continue;
      if (!this.keys.has(m[1])) this.keys.set(m[1], Buffer.from(readFileSync(join(credentialKeyDir(this.dataDir), file), 'utf8').trim(), 'base64'));
      this.newest = m[1];
    }
  }

  private make(): void {
    const dir = credentialKeyDir(this.dataDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const kid = `${String(Date.now()).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
    const temp = join(dir, `.${kid}.tmp`);
    // written whole under another name first: a reader never sees half a key
    writeFileSync(temp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, join(dir, `${kid}.key`));
  }

  private key(kid: string): Buffer {
    if (!this.keys.has(kid)) this.load();
    const key = this.keys.get(kid);
    // a deleted key file: the blob is lost, as a Keystone credential whose fernet key was removed
    if (!key) throw new Error(`credential key ${kid} is missing from ${credentialKeyDir(this.dataDir)}`);
    return key;
  }

  /** `aad` (the credential's id) binds the ciphertext to its row: a blob copied to another row does not decrypt */
  seal(plain: string, aad: string): Sealed {
    if (!this.newest) this.load();
    if (!this.newest) {
      this.make();
      this.load();
    }
    const kid = this.newest!;
    const iv = randomBytes(IV);
    const cipher = createCipheriv('aes-256-gcm', this.key(kid), iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return { encrypted_blob: Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64'), key_id: kid };
  }

  open(sealed: Sealed, aad: string): string {
    const raw = Buffer.from(sealed.encrypted_blob, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key(sealed.key_id), raw.subarray(0, IV));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG));
    return Buffer.concat([decipher.update(raw.subarray(IV, raw.length - TAG)), decipher.final()]).toString('utf8');
  }
}

const byDir = new Map<string, CredentialKeys>();

/** one key set per data dir, shared by the routes of every server on it */
export function credentialKeys(dataDir: string): CredentialKeys {
  let k = byDir.get(dataDir);
  if (!k) byDir.set(dataDir, (k = new CredentialKeys(dataDir)));
  return k;
}
