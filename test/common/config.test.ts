import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { defaultConfig, loadConfig } from '../../src/config.js';

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
  assert.throws(() => loadConfig({ env: { CLOUDLET_NETWORK__PORT: 'abc' } }), /^Error: config CLOUDLET_NETWORK__PORT: expected a port number \(0-65535\), got "abc"$/);
});

/** the one line loading `yaml` stops with */
function fileError(t: { after(fn: () => void): void }, yaml: string, env: NodeJS.ProcessEnv = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'cloudlet-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'cloudlet.yaml');
  writeFileSync(file, yaml);
  try {
    loadConfig({ file, env });
  } catch (err) {
    const message = (err as Error).message;
    assert.ok(!message.includes('\n'), `one line: ${message}`);
    return message.replace(file, 'FILE');
  }
  assert.fail(`loaded: ${yaml}`);
}

test('an unknown key at any depth is refused, naming it and the key meant', (t) => {
  assert.equal(fileError(t, 'log_levl: debug\n'), 'config FILE: log_levl: unknown key (did you mean log_level?)');
  assert.equal(fileError(t, 'network:\n  prot: 1\n'), 'config FILE: network.prot: unknown key (did you mean port?)');
  assert.equal(fileError(t, 'network:\n  ml2:\n    vni_range: ["1:9"]\n'), 'config FILE: network.ml2.vni_range: unknown key (did you mean vni_ranges?)');
  assert.equal(fileError(t, 'network:\n  agents:\n    agent_donw_time: 9\n'), 'config FILE: network.agents.agent_donw_time: unknown key (did you mean agent_down_time?)');
  // the right key in the wrong section
  assert.equal(fileError(t, 'network:\n  vni_ranges: ["1:9"]\n'), 'config FILE: network.vni_ranges: unknown key (did you mean network.ml2.vni_ranges?)');
  assert.equal(fileError(t, 'ml2:\n  vni_ranges: ["1:9"]\n'), 'config FILE: ml2: unknown key (did you mean network.ml2?)');
  assert.equal(fileError(t, 'registry_port: 5000\n'), 'config FILE: registry_port: unknown key');
});

test('a value of the wrong type is refused, naming the key, the type and the value', (t) => {
  assert.equal(fileError(t, 'network:\n  agents:\n    agent_down_time: abc\n'), 'config FILE: network.agents.agent_down_time: expected an integer of at least 1, got "abc"');
  assert.equal(fileError(t, 'network:\n  port: "9696"\n'), 'config FILE: network.port: expected a port number (0-65535), got "9696"');
  assert.equal(fileError(t, 'network:\n  ml2:\n    vni_ranges: "1:1000"\n'), 'config FILE: network.ml2.vni_ranges: expected a list of strings, got "1:1000"');
  assert.equal(fileError(t, 'network:\n  auth_strategy: none\n'), 'config FILE: network.auth_strategy: expected one of keystone, noauth, got "none"');
  assert.equal(fileError(t, 'network:\n  agents:\n    allow_automatic_dhcp_failover: maybe\n'), 'config FILE: network.agents.allow_automatic_dhcp_failover: expected true or false, got "maybe"');
  assert.equal(fileError(t, 'network: 5\n'), 'config FILE: network: expected a mapping, got 5');
  assert.equal(fileError(t, '- network\n'), 'config FILE: expected a mapping at the top level, got ["network"]');
  assert.equal(fileError(t, 'network:\n  port: ~\n'), 'config FILE: network.port: expected a port number (0-65535), got null');
  assert.equal(fileError(t, 'network:\n  quotas:\n    quota_port: lots\n'), 'config FILE: network.quotas.quota_port: expected an integer or null, got "lots"');
  assert.match(fileError(t, 'network: [\n'), /^config FILE: not valid YAML: /);
});

test('CLOUDLET_* variables: a misspelt one is refused, naming the variable meant', () => {
  const message = (env: NodeJS.ProcessEnv): string => {
    try {
      loadConfig({ env });
    } catch (e) {
      return (e as Error).message;
    }
    assert.fail(`loaded: ${JSON.stringify(env)}`);
  };
  assert.equal(message({ CLOUDLET_NETWORK__ML2__VNI_RANGE: '1:9' }), 'config CLOUDLET_NETWORK__ML2__VNI_RANGE: network.ml2.vni_range: unknown key (did you mean CLOUDLET_NETWORK__ML2__VNI_RANGES?)');
  assert.equal(message({ CLOUDLET_NETWROK__PORT: '1' }), 'config CLOUDLET_NETWROK__PORT: netwrok: unknown key (did you mean CLOUDLET_NETWORK__PORT?)');
  assert.equal(message({ CLOUDLET_DATA_DIRR: '/x' }), 'config CLOUDLET_DATA_DIRR: data_dirr: unknown key (did you mean CLOUDLET_DATA_DIR?)');
  assert.equal(message({ CLOUDLET_NETWORK__PORT__X: '1' }), 'config CLOUDLET_NETWORK__PORT__X: network.port is an option, not a section');
  assert.equal(message({ CLOUDLET_NETWORK__ML2: '1' }), 'config CLOUDLET_NETWORK__ML2: network.ml2 is a section: set its options as CLOUDLET_NETWORK__ML2__OPTION');
  assert.equal(message({ CLOUDLET_NETWORK__AGENTS__AGENT_DOWN_TIME: 'abc' }), 'config CLOUDLET_NETWORK__AGENTS__AGENT_DOWN_TIME: expected an integer of at least 1, got "abc"');
  assert.equal(message({ CLOUDLET_NETWORK__AGENTS__ALLOW_AUTOMATIC_DHCP_FAILOVER: 'maybe' }), 'config CLOUDLET_NETWORK__AGENTS__ALLOW_AUTOMATIC_DHCP_FAILOVER: expected true or false, got "maybe"');
  // other programs' variables (and cloudlet's own that are not options) are theirs
  const cfg = loadConfig({ env: { CLOUDLET_TEST_DATABASE_URL: 'postgres://x', CLOUDLET_PG_PORT: '1', CLOUDLET_BOOTSTRAP_PASSWORD: 'p', CLOUDLET_NETWORK__AGENTS__ALLOW_AUTOMATIC_DHCP_FAILOVER: 'off', CLOUDLET_NETWORK__QUOTAS__QUOTA_PORT: '' } });
  assert.equal(cfg.network.agents.allow_automatic_dhcp_failover, false);
  assert.equal(cfg.network.quotas.quota_port, null);
});

test('a flag of the wrong value is refused, naming the flag', () => {
  assert.throws(() => loadConfig({ env: {}, overrides: { port: 70000 } }), /^Error: config --port: expected a port number \(0-65535\), got 70000$/);
  assert.equal(loadConfig({ env: {}, overrides: { port: 0 } }).network.port, 0);
});

test('a full configuration, every option set, loads as written', (t) => {
  const full = defaultConfig();
  full.data_dir = '/srv/cloudlet';
  full.network.ml2.vni_ranges = ['10:20'];
  full.network.quotas.quota_router = null;
  full.network.agents.agent_down_time = 30;
  const dir = mkdtempSync(join(tmpdir(), 'cloudlet-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'cloudlet.yaml');
  writeFileSync(file, stringify(full));
  assert.deepEqual(loadConfig({ file, env: {} }), full);
  // empty sections (every key commented out) are YAML's null: the defaults
  writeFileSync(file, 'network:\n  ml2:\nidentity:\n');
  assert.deepEqual(loadConfig({ file, env: {} }), { ...defaultConfig(), data_dir: loadConfig({ env: {} }).data_dir });
});

test("the README's list of every key loads, and is the defaults", (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /## Configuration[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'the README has the configuration block');
  const dir = mkdtempSync(join(tmpdir(), 'cloudlet-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'cloudlet.yaml');
  writeFileSync(file, block[1]);
  assert.deepEqual(loadConfig({ file, env: {} }), loadConfig({ env: {} }));
});
