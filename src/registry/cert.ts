// A self-signed certificate for the registry, with subjectAltNames for this host's names
// and addresses: Go clients (skopeo, podman, docker) ignore the Common Name since Go 1.15,
// so a certificate without SANs is refused whatever its CN says.
//
// Made with Debian's `openssl` command, run through src/host/linux (the only code that runs
// programs): the standard tool, on every Debian machine (ca-certificates needs it), nothing to add
// to the package. node:crypto makes keys and signs but cannot build a certificate, and the npm
// libraries that can (@peculiar/x509 and its asn1 schemas) would bring several packages into the
// server process for one file's worth of work.
import { chmod, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { makeSelfSigned } from '../host/linux/openssl.js';
import { ExecRunner, type Runner } from '../host/linux/runner.js';

export type KeyType = 'ec' | 'rsa';

export interface CertOptions {
  outDir: string;
  /** validity; 365 as in the classic recipe */
  days?: number;
  /** more DNS names or addresses, beside this host's */
  names?: string[];
  /** ECDSA P-256 (default: small, fast to make, accepted everywhere) or RSA 4096 */
  keyType?: KeyType;
  /** overwrite an existing domain.crt/domain.key */
  force?: boolean;
  /** runs openssl (a RecordingRunner in unit tests) */
  runner?: Runner;
}

export interface CertResult {
  certificate: string;
  key: string;
  dnsNames: string[];
  addresses: string[];
}

// letters, digits, hyphens, dots, one leading wildcard: also keeps anything out of openssl's config syntax
const DNS_NAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** This host's names and addresses: hostname, localhost, loopback, and every interface address but IPv6 link-local (useless without a zone). */
export function hostNames(extra: string[] = []): { dnsNames: string[]; addresses: string[] } {
  const dns = new Set<string>();
  const ips = new Set<string>();
  const add = (name: string) => {
    const n = name.trim();
    if (n === '') return;
    if (isIP(n)) ips.add(n.toLowerCase());
    else if (DNS_NAME.test(n) && n.length <= 253) dns.add(n.replace(/\.$/, '').toLowerCase());
    else throw new Error(`not a DNS name or an IP address: ${JSON.stringify(name)}`);
  };
  // the names asked for first: the first DNS name becomes the Common Name
  for (const n of extra) add(n);
  add(hostname());
  add('localhost');
  add('127.0.0.1');
  add('::1');
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv6' && /^fe[89ab]/i.test(a.address)) continue;
      add(a.address.replace(/%.*$/, ''));
    }
  }
  return { dnsNames: [...dns], addresses: [...ips] };
}

function opensslConfig(commonName: string, dnsNames: string[], addresses: string[], keyType: KeyType): string {
  const alt = [...dnsNames.map((n, i) => `DNS.${i + 1} = ${n}`), ...addresses.map((a, i) => `IP.${i + 1} = ${a}`)];
  // written in full rather than borrowing the system openssl.cnf, so the result does not depend on the host's defaults
  return [
    '[req]',
    'prompt = no',
    'distinguished_name = dn',
    'x509_extensions = v3',
    '[dn]',
    `CN = ${commonName}`,
    '[v3]',
    // a CA as well: clients that trust this file (certs.d/…/ca.crt, --dest-cert-dir) treat it as the root
    'basicConstraints = critical, CA:TRUE',
    `keyUsage = critical, digitalSignature, ${keyType === 'rsa' ? 'keyEncipherment, ' : ''}keyCertSign`,
    'extendedKeyUsage = serverAuth',
    'subjectKeyIdentifier = hash',
    'subjectAltName = @alt',
    '[alt]',
    ...alt,
    '',
  ].join('\n');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Writes <outDir>/domain.crt and domain.key (mode 0600), each by an atomic rename. */
export async function makeSelfSignedCert(opts: CertOptions): Promise<CertResult> {
  const days = opts.days ?? 365;
  if (!Number.isInteger(days) || days < 1 || days > 36500) throw new Error(`--days: expected a whole number of days, got ${opts.days}`);
  const outDir = resolve(opts.outDir);
  const certificate = join(outDir, 'domain.crt');
  const key = join(outDir, 'domain.key');
  if (!opts.force && ((await exists(certificate)) || (await exists(key)))) {
    throw new Error(`${certificate} or ${key} already exists (--force replaces them)`);
  }
  const { dnsNames, addresses } = hostNames(opts.names);
  await mkdir(outDir, { recursive: true });
  const tmp = await mkdtemp(join(outDir, '.cert-'));
  try {
    const cnf = join(tmp, 'openssl.cnf');
    await writeFile(cnf, opensslConfig(dnsNames[0] ?? addresses[0], dnsNames, addresses, opts.keyType ?? 'ec'));
    await makeSelfSigned(opts.runner ?? new ExecRunner(), { config: cnf, keyOut: join(tmp, 'key'), certOut: join(tmp, 'crt'), days, keyType: opts.keyType ?? 'ec' });
    await chmod(join(tmp, 'key'), 0o600);
    await rename(join(tmp, 'key'), key);
    await rename(join(tmp, 'crt'), certificate);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { certificate, key, dnsNames, addresses };
}
