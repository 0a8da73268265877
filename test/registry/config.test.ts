import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyEnv, loadRegistryConfig, parseAddr, parseGoDuration } from '../../src/registry/config.js';

const dir = mkdtempSync(join(tmpdir(), 'cloudlet-regcfg-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// the registry image's own /etc/docker/registry/config.yml, plus TLS, auth and delete
const CONFIG_YML = `version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
  tls:
    certificate: certs/domain.crt
    key: /certs/domain.key
auth:
  htpasswd:
    realm: basic-realm
    path: /auth/htpasswd
health:
  storagedriver:
    enabled: true
`;

function yml(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

test('defaults: 127.0.0.1:5000, <data_dir>/registry, no TLS, no auth, no delete', () => {
  const cfg = loadRegistryConfig({ env: {}, dataDir: '/data/cloudlet' });
  assert.equal(cfg.port, 5000);
  assert.equal(cfg.host, '127.0.0.1');
  assert.equal(cfg.rootDirectory, '/data/cloudlet/registry');
  assert.equal(cfg.deleteEnabled, false);
  assert.equal(cfg.tls, undefined);
  assert.equal(cfg.auth, undefined);
  assert.equal(cfg.uploadExpirySeconds, 168 * 3600);
});

test("distribution's config.yml as the registry image ships it", () => {
  const file = yml('config.yml', CONFIG_YML);
  const cfg = loadRegistryConfig({ file, env: {}, dataDir: '/data/cloudlet', cwd: '/srv' });
  assert.equal(cfg.rootDirectory, '/var/lib/registry');
  assert.equal(cfg.deleteEnabled, true);
  assert.equal(cfg.port, 5000);
  assert.equal(cfg.host, undefined);
  assert.deepEqual(cfg.tls, { certificate: '/srv/certs/domain.crt', key: '/certs/domain.key' });
  assert.deepEqual(cfg.auth, { htpasswd: { realm: 'basic-realm', path: '/auth/htpasswd' } });
  assert.equal(cfg.file, file);
});

test('REGISTRY_* variables override the file, as in the classic recipe', () => {
  const file = yml('env.yml', 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /a\nhttp:\n  addr: 127.0.0.1:6000\n');
  const env = {
    REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: '/var/lib/registry',
    REGISTRY_HTTP_ADDR: '0.0.0.0:5443',
    REGISTRY_HTTP_TLS_CERTIFICATE: 'certs/domain.crt',
    REGISTRY_HTTP_TLS_KEY: 'certs/domain.key',
    REGISTRY_AUTH: 'htpasswd',
    REGISTRY_AUTH_HTPASSWD_REALM: 'Registry Realm',
    REGISTRY_AUTH_HTPASSWD_PATH: '/auth/htpasswd',
    REGISTRY_STORAGE_DELETE_ENABLED: 'true',
    REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_AGE: '2h30m',
    // Docker link and Kubernetes service variables lead nowhere and change nothing
    REGISTRY_PORT: 'tcp://10.0.0.1:5000',
    REGISTRY_PORT_5000_TCP_ADDR: '10.0.0.1',
  };
  const cfg = loadRegistryConfig({ file, env, dataDir: '/data', cwd: '/work' });
  assert.equal(cfg.rootDirectory, '/var/lib/registry');
  assert.equal(cfg.host, '0.0.0.0');
  assert.equal(cfg.port, 5443);
  assert.deepEqual(cfg.tls, { certificate: '/work/certs/domain.crt', key: '/work/certs/domain.key' });
  assert.deepEqual(cfg.auth, { htpasswd: { realm: 'Registry Realm', path: '/auth/htpasswd' } });
  assert.equal(cfg.deleteEnabled, true);
  assert.equal(cfg.uploadExpirySeconds, 9000);
});

test('REGISTRY_CONFIGURATION_PATH names the file when --config does not', () => {
  const file = yml('bypath.yml', 'http:\n  addr: "[::1]:7000"\nstorage:\n  maintenance:\n    uploadpurging:\n      enabled: false\n');
  const cfg = loadRegistryConfig({ env: { REGISTRY_CONFIGURATION_PATH: file }, dataDir: '/d' });
  assert.equal(cfg.host, '::1');
  assert.equal(cfg.port, 7000);
  assert.equal(cfg.uploadExpirySeconds, undefined);
  const other = yml('other.yml', 'http:\n  addr: :7001\n');
  assert.equal(loadRegistryConfig({ file: other, env: { REGISTRY_CONFIGURATION_PATH: file }, dataDir: '/d' }).port, 7001);
});

test('flags win over the file and the environment', () => {
  const file = yml('flags.yml', CONFIG_YML);
  const env = { REGISTRY_HTTP_ADDR: '127.0.0.1:6000', REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: '/env/root' };
  const cfg = loadRegistryConfig({ file, env, dataDir: '/data', flags: { port: 7777, dataDir: '/flag' } });
  assert.equal(cfg.port, 7777);
  assert.equal(cfg.host, '127.0.0.1');
  assert.equal(cfg.rootDirectory, '/flag/registry');
});

test('REGISTRY_AUTH and REGISTRY_STORAGE name a type and keep what belongs to it', () => {
  const doc = { storage: { filesystem: { rootdirectory: '/r' }, delete: { enabled: true } }, auth: { token: { realm: 'x' } } };
  const out = applyEnv(doc, { REGISTRY_AUTH: 'htpasswd', REGISTRY_AUTH_HTPASSWD_PATH: '/p', REGISTRY_STORAGE: 'filesystem' });
  assert.deepEqual(out.auth, { htpasswd: { path: '/p' } });
  assert.deepEqual(out.storage, { filesystem: { rootdirectory: '/r' }, delete: { enabled: true } });
  assert.deepEqual(doc.auth, { token: { realm: 'x' } }, 'the input is not changed');
});

test('what cloudlet cannot honour is refused, not ignored', () => {
  const load = (env: Record<string, string>) => () => loadRegistryConfig({ env, dataDir: '/d' });
  assert.throws(load({ REGISTRY_STORAGE: 's3' }), /only the filesystem driver/);
  assert.throws(load({ REGISTRY_AUTH: 'token' }), /only htpasswd/);
  assert.throws(load({ REGISTRY_AUTH: 'htpasswd', REGISTRY_AUTH_HTPASSWD_PATH: '/p' }), /realm must be set/);
  assert.throws(load({ REGISTRY_AUTH: 'htpasswd', REGISTRY_AUTH_HTPASSWD_REALM: 'r' }), /path must be set/);
  assert.throws(load({ REGISTRY_HTTP_TLS_CERTIFICATE: '/c' }), /certificate and key go together/);
  assert.throws(load({ REGISTRY_HTTP_TLS_CLIENTCAS: '/ca' }), /client certificates/);
  assert.throws(load({ REGISTRY_HTTP_ADDR: '5000' }), /expected \[host\]:port/);
  assert.throws(load({ REGISTRY_HTTP_ADDR: ':99999' }), /not a port/);
  assert.throws(load({ REGISTRY_STORAGE_DELETE_ENABLED: 'maybe' }), /true or false/);
  assert.throws(load({ REGISTRY_VERSION: '0.2' }), /only 0.1/);
  assert.throws(() => loadRegistryConfig({ file: join(dir, 'missing.yml'), env: {}, dataDir: '/d' }), /does not exist/);
  assert.throws(() => loadRegistryConfig({ file: yml('list.yml', '- a\n'), env: {}, dataDir: '/d' }), /mapping/);
});

test('http.addr and Go durations', () => {
  assert.deepEqual(parseAddr(':5000'), { host: undefined, port: 5000 });
  assert.deepEqual(parseAddr('localhost:80'), { host: 'localhost', port: 80 });
  assert.deepEqual(parseAddr('[::]:5000'), { host: '::', port: 5000 });
  assert.throws(() => parseAddr('[nothex]:5000'));
  assert.equal(parseGoDuration('168h'), 604800);
  assert.equal(parseGoDuration('1h30m10s'), 5410);
  assert.equal(parseGoDuration('1.5h'), 5400);
  assert.throws(() => parseGoDuration('10 days'), /not a duration/);
  assert.throws(() => parseGoDuration('10'), /not a duration/);
});
