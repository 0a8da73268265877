// kill -9 of every agent and the server in a lab, with a ping running between instances on
// two hosts: no packet lost, no link, address or dnsmasq made again (same ifindexes, same
// pids), and what changed while the compute hosts' agents were down is applied when they return.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { killLabProcesses, startLabProcesses } from '../../src/lab/restart.js';
import { cloudlet } from '../support/cli.js';
import { labUp, tapOf, until, type Lab, type Port } from './lab-support.js';

const AGENTS = ['osad1-l2', 'osad2-l2'];

/** every link of cloudlet's on each host (bridges, VXLAN devices, taps), by host and name → ifindex */
async function ourLinks(lab: Lab): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const host of ['osad', 'osad1', 'osad2']) {
    for (const l of await lab.links(host)) if (/^(brq|vxlan-|tap)/.test(l.ifname)) out[`${host}/${l.ifname}`] = l.ifindex;
  }
  return out;
}

/** the DHCP namespace's interfaces with their ifindex and addresses, seen inside the controller */
async function dhcpInterfaces(lab: Lab, networkId: string): Promise<string[]> {
  const r = await lab.inController(['ip', '-n', `qdhcp-${networkId}`, '-j', 'addr', 'show']);
  const links = JSON.parse(r.stdout) as Array<{ ifindex: number; ifname: string; addr_info: Array<{ local: string; prefixlen: number }> }>;
  return links.map((l) => `${l.ifindex} ${l.ifname} ${l.addr_info.map((a) => `${a.local}/${a.prefixlen}`).join(' ')}`);
}

test('kill -9 of every agent and the server: the data plane goes on untouched; changes made meanwhile are applied on return', async (t) => {
  const lab = await labUp(t);
  const { network } = await lab.api<{ network: { id: string } }>('POST', '/networks', { network: { name: 'net1', 'provider:network_type': 'vxlan' } });
  await lab.api('POST', '/subnets', { subnet: { network_id: network.id, ip_version: 4, cidr: '10.0.0.0/24' } });
  const port = async (name: string) => (await lab.api<{ port: Port }>('POST', '/ports', { port: { network_id: network.id, name } })).port;
  const a = await port('a');
  const b = await port('b');
  const gone = await port('gone');
  const nsA = await lab.instance('a');
  const nsB = await lab.instance('b');
  await lab.plug('osad1', a.id, nsA);
  await lab.plug('osad2', b.id, nsB);
  await lab.plug('osad1', gone.id, await lab.instance('gone'));
  for (const [ns, p] of [[nsA, a], [nsB, b]] as const) assert.equal((await lab.lease(ns)).ip, p.fixed_ips[0]!.ip_address);
  const vxlan = (await lab.links('osad2')).find((l) => l.ifname.startsWith('vxlan-'))!.ifname;
  assert.ok((await lab.fdb('osad2', vxlan)).some((e) => e.mac === gone.mac_address), "osad2 has the FDB entry of osad1's port before");

  const linksBefore = await ourLinks(lab);
  const dnsmasqBefore = lab.dnsmasqs();
  assert.ok(dnsmasqBefore.has(network.id), 'a dnsmasq serves the network');
  const dhcpBefore = await dhcpInterfaces(lab, network.id);

  // 10 pings a second from a (osad1) to b (osad2) through everything that follows
  const ping = spawn('ip', ['netns', 'exec', nsA, 'busybox', 'ping', '-q', '-i', '0.1', b.fixed_ips[0]!.ip_address], { stdio: ['ignore', 'pipe', 'pipe'] });
  let pingOut = '';
  ping.stdout.on('data', (d) => (pingOut += d));
  ping.stderr.on('data', (d) => (pingOut += d));
  const pingDone = new Promise<void>((r) => ping.on('exit', () => r()));
  t.after(() => ping.kill('SIGKILL'));

  await killLabProcesses(lab.name, ['osad', ...AGENTS]);
  const started = Date.now();
  await startLabProcesses(lab.name, ['osad']);
  await until('the identity and network APIs back', async () => {
    await lab.renewToken();
    await lab.api('GET', '/networks');
    return true;
  }, 60_000);

  // while the compute hosts' agents are down: a port plugged on osad2, osad1's `gone` deleted
  const late = await port('late');
  const nsLate = await lab.instance('late');
  await lab.plug('osad2', late.id, nsLate, false);
  await lab.api('DELETE', `/ports/${gone.id}`, undefined, 204);
  await startLabProcesses(lab.name, AGENTS);

  await t.test("the port made meanwhile is wired on osad2 (ACTIVE) and gets its lease", async () => {
    await until('late ACTIVE', async () => ((await lab.api<{ port: Port }>('GET', `/ports/${late.id}`)).port.status === 'ACTIVE' ? true : undefined), 60_000);
    assert.equal((await lab.links('osad2')).find((l) => l.ifname === tapOf(late.id))?.master, (await lab.links('osad2')).find((l) => l.ifname.startsWith('brq'))?.ifname);
    assert.equal((await lab.lease(nsLate)).ip, late.fixed_ips[0]!.ip_address);
    // osad1's agent, back too, learns late's MAC at osad2's VTEP (l2population): then late reaches a
    await until("late's FDB entry on osad1", async () => ((await lab.fdb('osad1', vxlan)).some((e) => e.mac === late.mac_address && e.dst === '10.99.0.12') ? true : undefined), 30_000);
    await until('late (osad2) reaching a (osad1)', async () => ((await lab.ping(nsLate, a.fixed_ips[0]!.ip_address)) ? true : undefined), 10_000);
  });

  await t.test("the port deleted meanwhile: its FDB entries leave the other hosts", async () => {
    for (const host of ['osad2', 'osad']) {
      await until(`${gone.mac_address} gone from ${host}'s ${vxlan}`, async () => ((await lab.fdb(host, vxlan)).some((e) => e.mac === gone.mac_address) ? undefined : true), 30_000);
    }
  });

  await t.test('the ping lost nothing across the restart', async () => {
    // long enough that the restart is well inside the window
    await until('a few seconds of ping after the restart', async () => (Date.now() - started > 3000 ? true : undefined));
    ping.kill('SIGINT');
    await pingDone;
    const m = pingOut.match(/(\d+) packets transmitted, (\d+) packets received/);
    assert.ok(m, pingOut);
    const [sent, got] = [Number(m[1]), Number(m[2])];
    t.diagnostic(`ping: ${sent} sent, ${got} received over ${((Date.now() - started) / 1000).toFixed(1)} s from the kill`);
    assert.ok(sent > 30, `the ping ran through the restart: ${pingOut}`);
    // SIGINT may catch one request on its way: that one is not lost, it was never answered yet
    assert.ok(sent - got <= 1, `lost ${sent - got} of ${sent}: ${pingOut}`);
  });

  await t.test('no link, address or dnsmasq was made again', async () => {
    const after = await ourLinks(lab);
    for (const [key, ifindex] of Object.entries(linksBefore)) assert.equal(after[key], ifindex, `${key} kept its ifindex`);
    assert.equal(lab.dnsmasqs().get(network.id), dnsmasqBefore.get(network.id), "the network's dnsmasq kept its pid");
    assert.deepEqual(await dhcpInterfaces(lab, network.id), dhcpBefore, "the DHCP namespace's interfaces and addresses are the same");
  });

  await t.test('lab down with every host process killed still stops the dnsmasq in a host\'s namespaces', async () => {
    await killLabProcesses(lab.name, ['osad', 'forward-osad', ...AGENTS]);
    assert.ok(lab.dnsmasqs().has(network.id));
    const down = await cloudlet(['lab', 'down', '--name', lab.name], lab.env);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(!lab.dnsmasqs().has(network.id), 'no dnsmasq left');
  });
});
