import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request, createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSelfSigned, selfSignedCommand } from '../../src/host/linux/openssl.js';
import { CommandError, RecordingRunner } from '../../src/host/linux/runner.js';
import { hostNames, makeSelfSignedCert } from '../../src/registry/cert.js';
import { requireTool } from '../support/backends.js';

const dir = mkdtempSync(join(tmpdir(), 'cloudlet-cert-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function sans(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '').split(', ');
}

/** A TLS handshake verified the way a client does it: against this certificate as the only root, by host name. */
async function handshake(crt: Buffer, key: Buffer, host: string, servername?: string): Promise<number> {
  const server = createServer({ cert: crt, key }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, host.replace(/^\[|\]$/g, ''), r));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<number>((resolve, reject) => {
      const req = request({ host: host.replace(/^\[|\]$/g, ''), port, ca: crt, servername, path: '/' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    server.close();
  }
}

test('ECDSA certificate with SANs for this host; key matches; a verifying client accepts it by name and address', async () => {
  requireTool('openssl', 'openssl');
  const out = join(dir, 'ec');
  const r = await makeSelfSignedCert({ outDir: out, days: 30, names: ['registry.example.test', '192.0.2.7'] });
  assert.equal(r.certificate, join(out, 'domain.crt'));
  assert.equal(statSync(r.key).mode & 0o777, 0o600, 'the key is private');
  const crt = readFileSync(r.certificate);
  const key = readFileSync(r.key);
  const cert = new X509Certificate(crt);
  const names = sans(cert);
  for (const want of ['DNS:registry.example.test', `DNS:${hostname().toLowerCase()}`, 'DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1', 'IP Address:192.0.2.7']) {
    assert.ok(names.includes(want), `${want} in ${names.join(', ')}`);
  }
  for (const a of hostNames().addresses.filter((x) => !x.includes(':'))) assert.ok(names.includes(`IP Address:${a}`), a);
  assert.match(cert.subject, /CN=registry\.example\.test/);
  assert.ok(cert.checkPrivateKey(createPrivateKey(key)), 'domain.key is the key of domain.crt');
  assert.ok(cert.checkIssued(cert), 'self-signed');
  assert.equal(cert.ca, true, 'usable as its own root in certs.d/…/ca.crt');
  assert.equal(createPrivateKey(key).asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86400e3;
  assert.ok(Math.abs(days - 30) < 1, `${days} days`);

  // the same as openssl sees it, the way the docs tell an operator to look
  const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', r.certificate], { encoding: 'utf8' });
  assert.match(text, /X509v3 Subject Alternative Name:[\s\S]*DNS:localhost[\s\S]*IP Address:127\.0\.0\.1/);
  assert.match(text, /TLS Web Server Authentication/);

  assert.equal(await handshake(crt, key, '127.0.0.1'), 200);
  assert.equal(await handshake(crt, key, '127.0.0.1', 'localhost'), 200);
  assert.equal(await handshake(crt, key, '127.0.0.1', 'registry.example.test'), 200);
  await assert.rejects(handshake(crt, key, '127.0.0.1', 'elsewhere.example.test'), /altnames/);
});

test('a certificate without SANs (the classic openssl req) is refused by a verifying client', async () => {
  requireTool('openssl', 'openssl');
  const out = join(dir, 'classic');
  mkdirSync(out);
  // the classic recipe's command (RSA 2048 here only to be quick), answering the prompts with -subj
  const classic = ['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-keyout', join(out, 'domain.key'), '-x509', '-days', '365', '-out', join(out, 'domain.crt')];
  execFileSync('openssl', [...classic, '-subj', '/CN=localhost'], { stdio: 'pipe' });
  const crt = readFileSync(join(out, 'domain.crt'));
  assert.equal(new X509Certificate(crt).subjectAltName, undefined);
  // Node, like Go since 1.15, does not fall back to the Common Name when checking an address
  await assert.rejects(handshake(crt, readFileSync(join(out, 'domain.key')), '127.0.0.1'), /IP: 127\.0\.0\.1 is not in the cert's list|altnames/);
});

test('RSA 4096 on request; existing files are kept unless --force; bad names are refused', async () => {
  requireTool('openssl', 'openssl');
  const out = join(dir, 'rsa');
  const r = await makeSelfSignedCert({ outDir: out, keyType: 'rsa', names: ['*.registry.example.test'] });
  const key = createPrivateKey(readFileSync(r.key));
  assert.equal(key.asymmetricKeyType, 'rsa');
  assert.equal(key.asymmetricKeyDetails?.modulusLength, 4096);
  assert.ok(new X509Certificate(readFileSync(r.certificate)).checkPrivateKey(key));
  assert.ok(sans(new X509Certificate(readFileSync(r.certificate))).includes('DNS:*.registry.example.test'));
  await assert.rejects(makeSelfSignedCert({ outDir: out }), /already exists/);
  const again = await makeSelfSignedCert({ outDir: out, force: true });
  assert.equal(createPrivateKey(readFileSync(again.key)).asymmetricKeyType, 'ec');
  await assert.rejects(makeSelfSignedCert({ outDir: join(dir, 'bad'), names: ['evil\n[alt]\nDNS.99 = x'] }), /not a DNS name/);
  await assert.rejects(makeSelfSignedCert({ outDir: join(dir, 'bad'), names: ['a,b'] }), /not a DNS name/);
  await assert.rejects(makeSelfSignedCert({ outDir: join(dir, 'bad'), days: 0 }), /--days/);
});

test('openssl runs through the host adapter: its argv and environment, and its failures as one line (no openssl needed)', async () => {
  const req = { config: '/d/openssl.cnf', keyOut: '/d/key', certOut: '/d/crt', days: 30 };
  assert.deepEqual(selfSignedCommand({ ...req, keyType: 'ec' }), {
    argv: ['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256', '-days', '30', '-config', '/d/openssl.cnf', '-keyout', '/d/key', '-out', '/d/crt'],
    env: { OPENSSL_CONF: '/d/openssl.cnf' },
  });
  assert.deepEqual(selfSignedCommand({ ...req, keyType: 'rsa' }).argv.slice(0, 5), ['openssl', 'req', '-x509', '-newkey', 'rsa:4096']);

  // makeSelfSignedCert hands the adapter its config file and temporary outputs; the failure stops it, leaving no temporary behind
  const out = join(dir, 'recorded');
  const refusing = new RecordingRunner();
  refusing.run = async (cmd) => {
    refusing.commands.push(cmd);
    throw new CommandError(cmd.argv, { code: 1, stdout: '', stderr: 'req: Error making certificate\nunable to load curve\n' });
  };
  await assert.rejects(makeSelfSignedCert({ outDir: out, days: 7, keyType: 'ec', runner: refusing }), /^Error: openssl req failed: req: Error making certificate\nunable to load curve$/);
  const [cmd] = refusing.commands;
  assert.equal(refusing.commands.length, 1);
  assert.deepEqual(cmd.argv.slice(0, 12), ['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256', '-days', '7', '-config']);
  const config = cmd.argv[12]!;
  assert.equal(cmd.env?.OPENSSL_CONF, config);
  assert.ok(config.startsWith(join(out, '.cert-')), config);
  assert.deepEqual(readdirSync(out), [], 'the temporary directory is removed');

  const missing = new RecordingRunner({ [selfSignedCommand({ ...req, keyType: 'ec' }).argv.join(' ')]: { code: -1, stderr: 'spawn openssl ENOENT' } });
  await assert.rejects(makeSelfSigned(missing, { ...req, keyType: 'ec' }), /^Error: openssl not found: install the Debian package openssl$/);
});
