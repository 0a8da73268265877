// Teardown in a lab: deleting a port, a subnet, a network removes exactly what belonged to
// it (links, FDB entries, hosts-file lines, dnsmasq, the qdhcp namespace) and nothing else:
// another network's objects keep their ifindexes, entries, files and dnsmasq pid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bridgeOf, labUp, tapOf, until, type Lab, type Port } from './lab-support.js';

const HOSTS = ['osad', 'osad1', 'osad2'];

interface NetworkInfo {
  id: string;
  'provider:segmentation_id': number;
}

/** what a network has on every host: its links by ifindex, its VXLAN FDB entries, its DHCP files and dnsmasq */
async function objectsOf(lab: Lab, n: NetworkInfo, taps: string[]) {
  const vxlan = `vxlan-${n['provider:segmentation_id']}`;
  const links: Record<string, number> = {};
  const fdb: Record<string, string[]> = {};
  for (const host of HOSTS) {
    for (const l of await lab.links(host)) if (l.ifname === bridgeOf(n.id) || l.ifname === vxlan || taps.includes(l.ifname)) links[`${host}/${l.ifname}`] = l.ifindex;
    if (links[`${host}/${vxlan}`]) fdb[host] = (await lab.fdb(host, vxlan)).map((e) => `${e.mac} ${e.dst}`).sort();
  }
  const hostsFile = join(lab.dhcpDir(n.id), 'host');
  const namespaces = (await lab.inController(['ip', 'netns', 'list'])).stdout;
  return {
    links,
    fdb,
    hosts: existsSync(hostsFile) ? readFileSync(hostsFile, 'utf8') : null,
    dnsmasq: lab.dnsmasqs().get(n.id) ?? null,
    qdhcp: namespaces.includes(`qdhcp-${n.id}`),
  };
}

test('deleting a port, a subnet, a network removes what was theirs and nothing else', async (t) => {
  const lab = await labUp(t);
  const net = async (name: string) => (await lab.api<{ network: NetworkInfo }>('POST', '/networks', { network: { name, 'provider:network_type': 'vxlan' } })).network;
  const subnet = async (networkId: string, cidr: string) => (await lab.api<{ subnet: { id: string } }>('POST', '/subnets', { subnet: { network_id: networkId, ip_version: 4, cidr } })).subnet;
  const a = await net('a');
  const b = await net('b');
  const a1 = await subnet(a.id, '10.1.0.0/24');
  const a2 = await subnet(a.id, '10.2.0.0/24');
  await subnet(b.id, '10.9.0.0/24');
  const port = async (networkId: string, name: string, subnetId?: string) =>
    (await lab.api<{ port: Port }>('POST', '/ports', { port: { network_id: networkId, name, ...(subnetId ? { fixed_ips: [{ subnet_id: subnetId }] } : {}) } })).port;
  const plugged: Record<string, Port> = {};
  for (const [name, networkId, host, sub] of [['a1', a.id, 'osad1', a1.id], ['a2', a.id, 'osad2', a1.id], ['a3', a.id, 'osad2', a1.id], ['b1', b.id, 'osad1'], ['b2', b.id, 'osad2']] as const) {
    const p = await port(networkId, name, sub);
    await lab.plug(host, p.id, await lab.instance(name));
    plugged[name] = p;
  }
  const tapsOf = (...names: string[]) => names.map((n) => tapOf(plugged[n]!.id));
  const bTaps = tapsOf('b1', 'b2');
  const aTaps = tapsOf('a1', 'a2', 'a3');
  const bBefore = await objectsOf(lab, b, bTaps);
  assert.ok(bBefore.dnsmasq && bBefore.qdhcp && bBefore.hosts?.includes(plugged.b1!.mac_address), "b's DHCP is up");
  /** b has exactly what it had */
  const bUnchanged = async () => assert.deepEqual(await objectsOf(lab, b, bTaps), bBefore, "network b's objects are unchanged");

  await t.test("a port: its FDB entries leave the other hosts, its hosts-file line goes, its tap leaves the bridge; the rest stays", async () => {
    const before = await objectsOf(lab, a, aTaps);
    assert.ok(before.hosts?.includes(plugged.a3!.mac_address));
    assert.ok(before.fdb.osad1!.some((e) => e.startsWith(plugged.a3!.mac_address)), 'osad1 has a3 (on osad2) before');
    await lab.api('DELETE', `/ports/${plugged.a3!.id}`, undefined, 204);
    const mac = plugged.a3!.mac_address;
    const gone = (e: string) => !e.startsWith(mac);
    const want = {
      ...before,
      fdb: Object.fromEntries(Object.entries(before.fdb).map(([h, es]) => [h, es.filter(gone)])),
      hosts: before.hosts!.split('\n').filter((l) => !l.startsWith(mac)).join('\n'),
    };
    const after = await until('a3 gone from FDBs and the hosts file', async () => {
      const now = await objectsOf(lab, a, aTaps);
      return JSON.stringify(now.fdb) === JSON.stringify(want.fdb) && now.hosts === want.hosts ? now : undefined;
    });
    assert.deepEqual(after, want, 'only a3 left: same links (by ifindex), the same dnsmasq');
    assert.equal((await lab.links('osad2')).find((l) => l.ifname === tapOf(plugged.a3!.id))?.master, undefined, "a3's tap is out of the bridge");
    await bUnchanged();
  });

  await t.test("a subnet: its address leaves the DHCP interface and its range leaves dnsmasq; the other subnet and network stay", async () => {
    const addrs = async () => (await lab.inController(['ip', '-n', `qdhcp-${a.id}`, '-4', '-o', 'addr', 'show'])).stdout;
    assert.match(await addrs(), /inet 10\.2\.0\.\d+\/24/);
    const before = await objectsOf(lab, a, aTaps);
    await lab.api('DELETE', `/subnets/${a2.id}`, undefined, 204);
    await until("a2's address gone from the DHCP interface", async () => (/10\.2\.0\./.test(await addrs()) ? undefined : true));
    assert.match(await addrs(), /inet 10\.1\.0\.\d+\/24/, 'a1 stays');
    const pid = lab.dnsmasqs().get(a.id);
    assert.ok(pid, "a's dnsmasq runs");
    await until("dnsmasq without a2's range", async () => (readFileSync(`/proc/${lab.dnsmasqs().get(a.id)}/cmdline`, 'latin1').includes(a2.id) ? undefined : true));
    // the DHCP port's line for its a2 address goes; every other line stays
    const hosts = before.hosts!.split('\n').filter((l) => !l.includes(',10.2.0.')).join('\n');
    const after = await until("the hosts file without a2's line", async () => {
      const now = await objectsOf(lab, a, aTaps);
      return now.hosts === hosts ? now : undefined;
    });
    assert.deepEqual({ ...after, dnsmasq: null }, { ...before, hosts, dnsmasq: null }, "a's links and FDB are the same");
    await bUnchanged();
  });

  await t.test('a network: its bridge, VXLAN devices, qdhcp namespace, dnsmasq and DHCP files go from every host; the other network stays', async () => {
    for (const name of ['a1', 'a2']) await lab.api('DELETE', `/ports/${plugged[name]!.id}`, undefined, 204);
    await lab.api('DELETE', `/networks/${a.id}`, undefined, 204);
    const vxlan = `vxlan-${a['provider:segmentation_id']}`;
    await until("a's objects gone", async () => {
      const now = await objectsOf(lab, a, aTaps);
      const left = Object.keys(now.links).filter((k) => k.endsWith(bridgeOf(a.id)) || k.endsWith(vxlan));
      return left.length === 0 && now.dnsmasq === null && !now.qdhcp ? true : undefined;
    });
    assert.ok(!existsSync(lab.dhcpDir(a.id)), "a's DHCP state directory is removed");
    await bUnchanged();
  });
});
