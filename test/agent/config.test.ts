// The agent configuration file: the documented example loads; a misspelt key, an
// unknown section or a wrong type stops with one line naming it. Credentials from
// clouds.yaml and OS_* as the openstack client finds them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { agentConfigFrom, defaultStateDir, loadAgentConfig, parseMappings } from '../../src/agent/config.js';
import { unreachableByOthers } from '../../src/agent/dhcp/state-files.js';
import { osCredentials } from '../../src/cli/os-credentials.js';

const EXAMPLE = `
agent:
  server: http://10.99.0.1:9696
  auth_url: http://10.99.0.1:35357/v3
  username: cloudlet-agent
  password_file: PWFILE
  project_name: service
  user_domain_name: Default
  project_domain_name: Default
  report_interval: 30
  state_dir: /var/lib/cloudlet/agents
l2:
  local_ip: 10.99.0.11
  physical_interface_mappings: { physnet1: eth1 }
dhcp:
  dnsmasq: dnsmasq
  dns_domain: openstacklocal
`;

test('agent config: the documented example; every mistake is one line naming the key', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cloudlet-agentcfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'pw'), 'secret-pw\n');
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, EXAMPLE.replace('PWFILE', join(dir, 'pw')));
  const cfg = loadAgentConfig(file);
  assert.equal(cfg.server, 'http://10.99.0.1:9696');
  assert.deepEqual(cfg.auth, {
    authUrl: 'http://10.99.0.1:35357/v3', username: 'cloudlet-agent', password: 'secret-pw', projectName: 'service',
    userDomainName: 'Default', projectDomainName: 'Default', regionName: undefined,
  });
  assert.equal(cfg.reportInterval, 30);
  assert.equal(cfg.stateDir, '/var/lib/cloudlet/agents');
  assert.deepEqual(cfg.l2, { localIp: '10.99.0.11', physicalInterfaceMappings: { physnet1: 'eth1' } });
  assert.deepEqual(cfg.dhcp, { dnsmasq: 'dnsmasq', dnsDomain: 'openstacklocal' });

  const bad: Array<[unknown, RegExp]> = [
    // the format of cloudlet.yaml's errors (test/common/config.test.ts): one declaration mechanism for both
    [{ agent: { report_intervl: 30 } }, /^config f: agent\.report_intervl: unknown key \(did you mean report_interval\?\)$/],
    [{ agnet: {} }, /^config f: agnet: unknown key \(did you mean agent\?\)$/],
    [{ agent: { local_ip: '10.0.0.1' } }, /^config f: agent\.local_ip: unknown key \(did you mean l2\.local_ip\?\)$/],
    [{ agent: { report_interval: '30s' } }, /^config f: agent\.report_interval: expected a positive number, got "30s"$/],
    [{ agent: { server: '' } }, /^config f: agent\.server: expected a non-empty string, got ""$/],
    [{ l2: { physical_interface_mappings: 'physnet1:eth1' } }, /^config f: l2\.physical_interface_mappings: expected a mapping of strings/],
    [{ agent: { username: 'u' } }, /^config f: agent: agent\.auth_url, agent\.password_file \(or password\) missing$/],
    [{ agent: { auth_url: 'http://x/v3', username: 'u', password: 'p', password_file: '/x' } }, /give one/],
    [{ agent: { auth_url: 'http://x/v3', username: 'u', password_file: join(dir, 'nope') } }, /agent\.password_file .*nope: no such file/],
    [['a'], /^config f: expected a mapping at the top level, got \["a"\]$/],
    [{ agent: { server: 'http://a:9696,10.0.0.1:9696' } }, /^config f: agent\.server: not a URL: 10\.0\.0\.1:9696$/],
  ];
  for (const [doc, re] of bad) {
    assert.throws(() => agentConfigFrom(doc, 'f'), (err: Error) => re.test(err.message) && !err.message.includes('\n'), JSON.stringify(doc));
  }
  assert.throws(() => loadAgentConfig(join(dir, 'missing.yaml')), /agent configuration .*missing\.yaml: no such file/);
  assert.equal(agentConfigFrom({ agent: { server: 'http://a:9696/, http://b:9696' } }, 'f').server, 'http://a:9696/, http://b:9696');
  assert.deepEqual(parseMappings('physnet1:eth1, physnet2:eth2', '--m'), { physnet1: 'eth1', physnet2: 'eth2' });
  assert.throws(() => parseMappings('physnet1=eth1', '--physical-interface-mappings'), /^Error: --physical-interface-mappings: expected PHYSNET:INTERFACE/);
});

test('credentials as the openstack client finds them: --os-cloud in clouds.yaml, OS_* over it, else a line saying what is missing', (t) => {
  const home = mkdtempSync(join(tmpdir(), 'cloudlet-oscreds-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const clouds = join(home, 'clouds.yaml');
  writeFileSync(clouds, 'clouds:\n  c1:\n    auth: { auth_url: "http://h:35357/v3", username: u, password: pw, project_name: p, user_domain_name: Default, project_domain_name: Default }\n    region_name: RegionOne\n');
  const env = { HOME: home, OS_CLIENT_CONFIG_FILE: clouds };
  assert.deepEqual(osCredentials({ osCloud: 'c1', env }), {
    authUrl: 'http://h:35357/v3', username: 'u', password: 'pw', projectName: 'p', projectId: undefined, userDomainName: 'Default', userDomainId: undefined,
    projectDomainName: 'Default', projectDomainId: undefined, regionName: 'RegionOne', interface: undefined,
  });
  assert.equal(osCredentials({ env: { ...env, OS_CLOUD: 'c1', OS_PASSWORD: 'other' } }).password, 'other');
  assert.throws(() => osCredentials({ osCloud: 'c2', env }), /cloud "c2" is not in .*clouds\.yaml/);
  assert.throws(() => osCredentials({ env: { HOME: home } }), /no credentials: auth_url \(OS_AUTH_URL\), username \(OS_USERNAME\), password \(OS_PASSWORD\) missing/);
  assert.equal(osCredentials({ env: { HOME: home, OS_AUTH_URL: 'http://a/v3', OS_USERNAME: 'x', OS_PASSWORD: 'y', OS_PROJECT_NAME: 'z' } }).projectName, 'z');
});

test("the state directory: the operator's, else as root /var/lib/cloudlet/agents/<host> (outside the 0700 data directory, so dnsmasq runs as nobody)", async () => {
  assert.equal(agentConfigFrom(undefined, 'defaults').stateDir, undefined);
  assert.equal(agentConfigFrom({ agent: { state_dir: 'rel/dir' } }, 'f').stateDir, join(process.cwd(), 'rel/dir'));
  const env = { HOME: '/root', CLOUDLET_DATA_DIR: '/root/.local/share/cloudlet' };
  assert.equal(defaultStateDir('osad1', env, true), '/var/lib/cloudlet/agents/osad1');
  // a host name is one path component
  assert.equal(defaultStateDir('../x', env, true), '/var/lib/cloudlet/agents/..%2Fx');
  assert.equal(defaultStateDir('osad1', env, false), '/root/.local/share/cloudlet/agents');
  // where it lies, nobody can reach (the directories it lacks are made 0755)
  assert.equal(await unreachableByOthers('/var/lib'), null);
});
