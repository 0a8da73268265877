// What bench:dataplane does in the kernel: instance namespaces, their DHCP client, and reading
// whether a host is wired (taps in their bridges, one dnsmasq per network) from /sys and /proc.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

/** runs argv, resolves stdout; rejects with stderr on a non-zero exit */
export function sh(argv: string[], okFail = false): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err && !okFail) reject(new Error(`${argv.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

export const bridgeOf = (networkId: string): string => `brq${networkId.slice(0, 11)}`;
export const tapOf = (portId: string): string => `tap${portId.slice(0, 11)}`;

/** the bridge a link is enslaved to, or null */
export function masterOf(link: string): string | null {
  try {
    return basename(readlinkSync(`/sys/class/net/${link}/master`));
  } catch {
    return null;
  }
}

/** [pid, command line] of every live dnsmasq */
export function dnsmasqs(): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== 'dnsmasq') continue;
      out.push([Number(name), readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ')]);
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** the networks (of `ids`) that have no dnsmasq naming them on its command line (its pid file / state dir) */
export function networksWithoutDnsmasq(ids: string[]): string[] {
  const lines = dnsmasqs().map(([, c]) => c);
  return ids.filter((id) => !lines.some((c) => c.includes(id)));
}

/** how many of `ports` ([port id, network id]) have their tap in their network's bridge */
export function tapsWired(ports: Array<[string, string]>): number {
  return ports.filter(([p, n]) => masterOf(tapOf(p)) === bridgeOf(n)).length;
}

export async function addNetns(name: string): Promise<void> {
  await sh(['ip', 'netns', 'add', name]);
  await sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
}

export async function delNetns(name: string): Promise<void> {
  if (existsSync(`/run/netns/${name}`)) await sh(['ip', 'netns', 'del', name], true);
}

/**
 * Time until `ifname` in `netns` holds a DHCP lease: a fresh `busybox udhcpc` (one DISCOVER, 1 s to
 * answer) is started every `everyMs` until one reports a lease, so the figure's resolution is
 * `everyMs`, not udhcpc's 1 s retry. Resolves the leased address.
 */
export function leaseWithin(netns: string, ifname: string, timeoutMs: number, everyMs = 25): Promise<string> {
  return new Promise((resolve, reject) => {
    const kids = new Set<ReturnType<typeof spawn>>();
    let done = false;
    const finish = (err: Error | null, ip?: string): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(limit);
      for (const k of kids) k.kill('SIGKILL');
      if (err) reject(err);
      else resolve(ip!);
    };
    const one = (): void => {
      // -s /bin/true: the lease is reported, not configured (the instance's address is not what is timed)
      const k = spawn('ip', ['netns', 'exec', netns, 'busybox', 'udhcpc', '-i', ifname, '-f', '-q', '-n', '-t', '1', '-T', '1', '-s', '/bin/true'], { stdio: ['ignore', 'pipe', 'pipe'] });
      kids.add(k);
      let out = '';
      k.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      k.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      k.once('close', () => {
        kids.delete(k);
        const m = /lease of (\S+) obtained/.exec(out);
        if (m) finish(null, m[1]);
      });
    };
    const timer = setInterval(one, everyMs);
    const limit = setTimeout(() => finish(new Error(`no DHCP lease on ${netns}/${ifname} within ${timeoutMs / 1000} s`)), timeoutMs);
    one();
  });
}

/**
 * Removes what the agents made for `networkIds` — bridges, the VXLAN devices in them, qdhcp-
 * namespaces (and with them the DHCP ports' veths), the networks' dnsmasq — and leaves the
 * instances' taps: the "everything to create" restart.
 */
export async function wipeAgentsWork(networkIds: string[]): Promise<void> {
  const procs = dnsmasqs();
  for (const id of networkIds) {
    for (const [pid, cmd] of procs) if (cmd.includes(id)) safeKill(pid);
    const br = bridgeOf(id);
    if (existsSync(`/sys/class/net/${br}/brif`)) {
      for (const i of readdirSync(`/sys/class/net/${br}/brif`)) if (/^vxlan-\d+$/.test(i)) await sh(['ip', 'link', 'del', i], true);
      await sh(['ip', 'link', 'del', br], true);
    }
    await delNetns(`qdhcp-${id}`);
  }
}

export function safeKill(pid: number, sig: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/**
 * Plugs many ports into one instance namespace at once, as plugPort does one by one (a veth,
 * tap<port11> up on the host, the port's MAC and MTU on `eth<i>` inside, IPv6 off on the tap)
 * in two `ip -batch` runs: a fleet of a thousand ports is made in seconds, not minutes.
 */
export async function plugMany(netns: string, mtu: number, ports: Array<{ id: string; mac: string }>, batchFile: string): Promise<void> {
  const { writeFileSync } = await import('node:fs');
  const root = ports.flatMap((p, i) => [
    `link add ${tapOf(p.id)} mtu ${mtu} type veth peer name eth${i} address ${p.mac} mtu ${mtu} netns ${netns}`,
    `link set ${tapOf(p.id)} up`,
  ]);
  writeFileSync(batchFile, root.join('\n') + '\n');
  await sh(['ip', '-batch', batchFile]);
  for (const p of ports) writeFileSync(`/proc/sys/net/ipv6/conf/${tapOf(p.id)}/disable_ipv6`, '1');
  writeFileSync(batchFile, ports.map((_, i) => `link set eth${i} up`).join('\n') + '\n');
  await sh(['ip', '-n', netns, '-batch', batchFile]);
}
