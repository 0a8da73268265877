import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/common/config.js';

test('defaults need no file', () => {
  const cfg = loadConfig({ file: undefined, env: {} });
  assert.equal(cfg.network.port, 9696);
  assert.equal(cfg.database_url, '');
  assert.deepEqual(cfg.network.ml2.tenant_network_types, ['vxlan']);
});

test('YAML file, then CLOUDLET_* variables, then flags', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cloudlet-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'cloudlet.yaml');
  writeFileSync(file, 'log_level: warn\nnetwork:\n  port: 1234\n  ml2:\n    vni_ranges: ["5:9"]\n    tenant_network_types: [vlan]\n');
  const env = { CLOUDLET_NETWORK__ML2__VNI_RANGES: '100:200,300:400', CLOUDLET_DATA_DIR: '/tmp/x', CLOUDLET_NETWORK__PORT: '2222' };
  const cfg = loadConfig({ file, env });
  assert.equal(cfg.log_level, 'warn');
  assert.deepEqual(cfg.network.ml2.tenant_network_types, ['vlan']);
  assert.deepEqual(cfg.network.ml2.vni_ranges, ['100:200', '300:400']);
  assert.equal(cfg.network.port, 2222);
  assert.equal(cfg.data_dir, '/tmp/x');
  const flagged = loadConfig({ file, env, overrides: { port: 3333, data_dir: '/tmp/y' } });
  assert.equal(flagged.network.port, 3333);
  assert.equal(flagged.data_dir, '/tmp/y');
});

test('a missing explicit file and a bad number are refused', () => {
  assert.throws(() => loadConfig({ file: '/nonexistent/x.yaml', env: {} }), /does not exist/);
  assert.throws(() => loadConfig({ env: { CLOUDLET_CONFIG: '/nonexistent/x.yaml' } }), /does not exist/);
  assert.throws(() => loadConfig({ env: { CLOUDLET_NETWORK__PORT: 'abc' } }), /expected a number/);
});
