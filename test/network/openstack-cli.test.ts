// Drives the network API with Debian's real `openstack` client
// (python3-openstackclient): every call goes through openstacksdk's version
// discovery, request building and response parsing, so this is what a user
// of the stock CLI sees.
//
// Flags: `--os-auth-type none --os-endpoint <url>` is all the client needs in
// noauth mode (checked with python3-openstackclient 6.0.0 on bookworm). It
// GETs <url>/ for version discovery, picks v2.0 from the answer and sends
// everything under <url>/v2.0/; no --os-network-api-version, --os-project-id
// or OS_* variable is required. The client runs with a clean environment
// (only PATH, a temporary HOME and a UTF-8 locale) so no OS_* variable or
// ~/.config/openstack/clouds.yaml of the host can leak in.
//
// The CLI takes 1-2 s to start: each backend makes about 20 calls.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { backends, requireTool } from '../support/backends.js';
import { startNetwork, type RunningNetwork } from '../support/network-server.js';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function openstack(home: string, endpoint: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'openstack',
      ['--os-auth-type', 'none', '--os-endpoint', endpoint, ...args],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err); // not started, or killed by the timeout
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** Expected modified EUI-64 address (RFC 4291 appendix A) of `mac` in a /64 whose first group is `prefix`. */
function eui64(prefix: string, mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const groups = [((b[0] ^ 0x02) << 8) | b[1], (b[2] << 8) | 0xff, (0xfe << 8) | b[3], (b[4] << 8) | b[5]];
  return `${prefix}::${groups.map((g) => g.toString(16)).join(':')}`;
}

for (const backend of backends()) {
  test(`openstack CLI against the network API (${backend.name})`, async (t) => {
    requireTool('openstack', 'python3-openstackclient');
    const home = await mkdtemp(join(tmpdir(), 'cloudlet-oshome-'));
    t.after(() => rm(home, { recursive: true, force: true }));
    let net: RunningNetwork | undefined;
    try {
      net = await startNetwork(backend);
      const api = net;
      const run = (...args: string[]) => openstack(home, api.url, args);
      /** Runs a command that must succeed; parses its `-f json` output if any. */
      const ok = async (...args: string[]): Promise<any> => {
        const r = await run(...args);
        assert.equal(r.code, 0, `openstack ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
        return r.stdout.trim() ? JSON.parse(r.stdout) : null;
      };

      let netA = '';
      let netB = '';
      let subnet4 = '';
      let subnet6 = '';
      let port = '';
      let mac = '';

      await t.test('network create: tenant network, then a provider vxlan segment', async () => {
        const a = await ok('network', 'create', 'cli-net-a', '-f', 'json');
        assert.equal(a.name, 'cli-net-a');
        assert.equal(a.status, 'ACTIVE');
        assert.equal(a.admin_state_up, true);
        assert.equal(a.project_id, 'fake_project_id');
        assert.equal(a['provider:network_type'], 'vxlan');
        assert.ok(Number.isInteger(a['provider:segmentation_id']) && a['provider:segmentation_id'] >= 1 && a['provider:segmentation_id'] <= 1000,
          `tenant VNI ${a['provider:segmentation_id']} outside vni_ranges 1:1000`);
        assert.equal(a.mtu, 1450);
        assert.deepEqual(a.subnets, []);
        netA = a.id;

        const b = await ok('network', 'create', 'cli-net-b', '--provider-network-type', 'vxlan', '--provider-segment', '4242', '-f', 'json');
        assert.equal(b.name, 'cli-net-b');
        assert.equal(b['provider:network_type'], 'vxlan');
        assert.equal(b['provider:segmentation_id'], 4242);
        assert.equal(b['provider:physical_network'], null);
        netB = b.id;
      });

      await t.test('network list and show', async () => {
        const list = await ok('network', 'list', '-f', 'json');
        assert.deepEqual(
          list.map((n: any) => [n.ID, n.Name]).sort(),
          [[netA, 'cli-net-a'], [netB, 'cli-net-b']].sort(),
        );
        const shown = await ok('network', 'show', netB, '-f', 'json');
        assert.equal(shown.id, netB);
        assert.equal(shown.name, 'cli-net-b');
        assert.equal(shown['provider:segmentation_id'], 4242);
      });

      await t.test('network set --name --description', async () => {
        assert.equal(await ok('network', 'set', '--name', 'cli-net-renamed', '--description', 'set by the openstack CLI', netA), null);
        const shown = await ok('network', 'show', 'cli-net-renamed', '-f', 'json');
        assert.equal(shown.id, netA);
        assert.equal(shown.description, 'set by the openstack CLI');
        assert.equal(shown.revision_number, 2);
      });

      await t.test('subnet create: IPv4 and IPv6 SLAAC', async () => {
        const s4 = await ok('subnet', 'create', '--network', 'cli-net-renamed', '--subnet-range', '10.1.0.0/24', 'cli-v4', '-f', 'json');
        assert.equal(s4.name, 'cli-v4');
        assert.equal(s4.network_id, netA);
        assert.equal(s4.cidr, '10.1.0.0/24');
        assert.equal(s4.ip_version, 4);
        assert.equal(s4.gateway_ip, '10.1.0.1');
        assert.deepEqual(s4.allocation_pools, [{ start: '10.1.0.2', end: '10.1.0.254' }]);
        assert.equal(s4.enable_dhcp, true);
        subnet4 = s4.id;

        const s6 = await ok('subnet', 'create', '--network', netA, '--ip-version', '6', '--ipv6-address-mode', 'slaac',
          '--ipv6-ra-mode', 'slaac', '--subnet-range', 'fd00::/64', 'cli-v6', '-f', 'json');
        assert.equal(s6.name, 'cli-v6');
        assert.equal(s6.network_id, netA);
        assert.equal(s6.cidr, 'fd00::/64');
        assert.equal(s6.ip_version, 6);
        assert.equal(s6.ipv6_address_mode, 'slaac');
        assert.equal(s6.ipv6_ra_mode, 'slaac');
        subnet6 = s6.id;
      });

      await t.test('port create with a fixed IP, plus the implicit SLAAC address', async () => {
        const p = await ok('port', 'create', '--network', netA, '--fixed-ip', 'subnet=cli-v4,ip-address=10.1.0.50', 'cli-port', '-f', 'json');
        assert.equal(p.name, 'cli-port');
        assert.equal(p.network_id, netA);
        assert.equal(p.status, 'DOWN');
        assert.match(p.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
        port = p.id;
        mac = p.mac_address;
        // Neutron adds an EUI-64 address on every SLAAC subnet even when
        // fixed_ips names only other subnets (_get_auto_address_ips).
        assert.deepEqual(
          [...p.fixed_ips].sort((x: any, y: any) => x.ip_address.localeCompare(y.ip_address)),
          [
            { ip_address: '10.1.0.50', subnet_id: subnet4 },
            { ip_address: eui64('fd00', mac), subnet_id: subnet6 },
          ],
        );
      });

      await t.test('port create with an address already taken fails with the Neutron message', async () => {
        const r = await run('port', 'create', '--network', netA, '--fixed-ip', `subnet=${subnet4},ip-address=10.1.0.50`, 'cli-dup', '-f', 'json');
        assert.notEqual(r.code, 0, `expected a failure, got:\n${r.stdout}`);
        assert.match(r.stderr, /409/);
        assert.match(r.stderr, new RegExp(`IP address 10\\.1\\.0\\.50 already allocated in subnet ${subnet4}`));
        // the same request over plain HTTP names the NeutronError type the client does not print
        const raw = await api.call('POST', '/v2.0/ports', { port: { network_id: netA, fixed_ips: [{ subnet_id: subnet4, ip_address: '10.1.0.50' }] } });
        assert.equal(raw.status, 409);
        assert.equal(raw.body.NeutronError.type, 'IpAddressAlreadyAllocated');
        const ports = await api.call('GET', `/v2.0/ports?network_id=${netA}`);
        assert.equal(ports.body.ports.length, 1, 'the failed creates left a port behind');
      });

      await t.test('port list --network, show, set --name', async () => {
        const list = await ok('port', 'list', '--network', netA, '-f', 'json');
        assert.equal(list.length, 1);
        assert.equal(list[0].ID, port);
        assert.equal(list[0].Name, 'cli-port');
        assert.equal(list[0]['MAC Address'], mac);
        assert.ok(list[0]['Fixed IP Addresses'].some((f: any) => f.ip_address === '10.1.0.50' && f.subnet_id === subnet4));
        assert.deepEqual(await ok('port', 'list', '--network', netB, '-f', 'json'), []);

        assert.equal(await ok('port', 'set', '--name', 'cli-port-renamed', port), null);
        const shown = await ok('port', 'show', 'cli-port-renamed', '-f', 'json');
        assert.equal(shown.id, port);
        assert.equal(shown.mac_address, mac);
        assert.ok(shown.fixed_ips.some((f: any) => f.ip_address === '10.1.0.50' && f.subnet_id === subnet4));
        assert.ok(shown.fixed_ips.some((f: any) => f.ip_address === eui64('fd00', mac) && f.subnet_id === subnet6));
      });

      await t.test('port delete, subnet delete, network delete', async () => {
        assert.equal(await ok('port', 'delete', port), null);
        assert.deepEqual(await ok('port', 'list', '--network', netA, '-f', 'json'), []);
        const again = await run('port', 'show', port);
        assert.notEqual(again.code, 0);
        assert.match(again.stderr, new RegExp(`No Port found for ${port}`));

        // the address is free again
        const reuse = await api.call('POST', '/v2.0/ports', { port: { network_id: netA, fixed_ips: [{ subnet_id: subnet4, ip_address: '10.1.0.50' }] } });
        assert.equal(reuse.status, 201, JSON.stringify(reuse.body));
        assert.equal((await api.call('DELETE', `/v2.0/ports/${reuse.body.port.id}`)).status, 204);

        assert.equal(await ok('subnet', 'delete', subnet4, 'cli-v6'), null);
        assert.deepEqual(await ok('subnet', 'list', '-f', 'json'), []);
        assert.equal(await ok('network', 'delete', 'cli-net-renamed', netB), null);
        assert.deepEqual(await ok('network', 'list', '-f', 'json'), []);
      });
    } finally {
      await net?.close();
    }
  });
}
