import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { cloudsYamlPath, writeCloudEntry } from '../../src/common/clouds-yaml.js';

/** a temp directory removed after the test, even when it fails */
function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'clouds-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const entry = { authUrl: 'http://127.0.0.1:35357/v3', username: 'admin', password: 's3cret', projectName: 'admin', region: 'RegionOne' };

test('clouds.yaml: a new file gets the cloudlet entry, readable by its owner only', (t) => {
  const path = join(tempDir(t), 'openstack', 'clouds.yaml');
  writeCloudEntry(path, 'cloudlet', entry);
  const doc = parse(readFileSync(path, 'utf8'));
  assert.deepEqual(doc.clouds.cloudlet.auth, {
    auth_url: entry.authUrl,
    username: 'admin',
    password: 's3cret',
    project_name: 'admin',
    user_domain_name: 'Default',
    project_domain_name: 'Default',
  });
  assert.equal(doc.clouds.cloudlet.region_name, 'RegionOne');
  assert.equal(doc.clouds.cloudlet.identity_api_version, 3);
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('clouds.yaml: other clouds and comments are kept, an old cloudlet entry is replaced', (t) => {
  const path = join(tempDir(t), 'clouds.yaml');
  writeFileSync(path, '# mine\nclouds:\n  other:\n    auth: {auth_url: "http://x/v3"}\n  cloudlet:\n    auth: {password: old}\n');
  writeCloudEntry(path, 'cloudlet', entry);
  const text = readFileSync(path, 'utf8');
  assert.match(text, /# mine/);
  const doc = parse(text);
  assert.equal(doc.clouds.other.auth.auth_url, 'http://x/v3');
  assert.equal(doc.clouds.cloudlet.auth.password, 's3cret');
});

test('clouds.yaml: a file that is not YAML is refused and left as it was', (t) => {
  const path = join(tempDir(t), 'clouds.yaml');
  writeFileSync(path, 'clouds: [unclosed\n');
  assert.throws(() => writeCloudEntry(path, 'cloudlet', entry), /not valid YAML/);
  assert.equal(readFileSync(path, 'utf8'), 'clouds: [unclosed\n');
});

test('clouds.yaml: OS_CLIENT_CONFIG_FILE, else ~/.config/openstack/clouds.yaml', () => {
  assert.equal(cloudsYamlPath({ OS_CLIENT_CONFIG_FILE: '/x/c.yaml', HOME: '/h' }), '/x/c.yaml');
  assert.equal(cloudsYamlPath({ HOME: '/h' }), '/h/.config/openstack/clouds.yaml');
});
