// `cloudlet port plug PORT --netns NAME` wires a network namespace as the
// instance behind a port (what nova's VIF plugging does for a VM): the port
// is bound to this host (binding:host_id), then a veth pair puts the port's MAC
// and the network's MTU inside the namespace and its tap into the network's
// bridge. `cloudlet port unplug PORT` undoes both. Every check that can fail
// runs before anything changes; a plug that fails after the binding undoes it.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { plugPort, unplugPort } from '../agent/agents.js';
import { HttpError } from '../common/keystone-session.js';
import { runnerForHost } from './host-runner.js';
import { networkClient, type NetworkClient } from './network-client.js';
import { run } from './serve.js';

interface Port {
  id: string;
  name: string;
  network_id: string;
  mac_address: string;
  'binding:host_id'?: string;
  'binding:vif_type'?: string;
}

/** the port named by id, else by name (as the openstack client); one line when there is none or several */
async function findPort(api: NetworkClient, ref: string): Promise<Port> {
  try {
    return (await api.call<{ port: Port }>('GET', `/v2.0/ports/${encodeURIComponent(ref)}`)).port;
  } catch (err) {
    if (!(err instanceof HttpError && err.status === 404)) throw err;
  }
  const { ports } = await api.call<{ ports: Port[] }>('GET', `/v2.0/ports?name=${encodeURIComponent(ref)}`);
  if (ports.length === 1) return ports[0];
  throw new Error(ports.length ? `more than one port is named ${ref}: give its id` : `no port ${ref}`);
}

const setHost = (api: NetworkClient, id: string, host: string) => api.call<{ port: Port }>('PUT', `/v2.0/ports/${id}`, { port: { 'binding:host_id': host } });


const NETNS_DIR = '/run/netns';

interface PlugFlags {
  netns: string;
  host?: string;
  ifname: string;
  osCloud?: string;
  wait?: string;
}

/** waits for the L2 agent to report the device wired (nova's wait for network-vif-plugged) */
async function waitActive(api: NetworkClient, id: string, host: string, seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    // a failed look is looked at again: the plug is done, only its news is awaited
    const status = await api.call<{ port: { status: string } }>('GET', `/v2.0/ports/${id}`).then((r) => r.port.status, () => undefined);
    if (status === 'ACTIVE') return;
    if (Date.now() > end) throw new Error(`port ${id} is plugged but not ACTIVE after ${seconds} s: is the L2 agent of host ${host} alive? (cloudlet agent list)`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function portCommand(): Command {
  const port = new Command('port').description('wire ports into network namespaces (instances) on this host');
  port
    .command('plug')
    .description('bind PORT (id or name) to a host and wire it into network namespace NAME: a veth pair, the port\'s MAC and the network\'s MTU inside')
    .argument('<port>', 'the port, by id or name')
    .requiredOption('--netns <name>', 'the network namespace standing for the instance (ip netns add NAME)')
    .option('--host <name>', "the host to bind it to, as its agents' --host (default this machine's hostname)")
    .option('--ifname <name>', 'the interface name inside the namespace', 'eth0')
    .option('--os-cloud <name>', 'credentials from this clouds.yaml entry (env OS_CLOUD; OS_* as the openstack client)')
    .option('--wait <seconds>', 'then wait until the port is ACTIVE (its L2 agent reported it wired)')
    .action((ref: string, opts: PlugFlags) =>
      run(async (flags: PlugFlags) => {
        if (!/^[A-Za-z0-9_.-]{1,64}$/.test(flags.netns) || !existsSync(join(NETNS_DIR, flags.netns))) {
          throw new Error(`network namespace ${flags.netns} does not exist (ip netns add ${flags.netns} makes one)`);
        }
        if (!/^[A-Za-z0-9_.-]{1,15}$/.test(flags.ifname)) throw new Error(`--ifname: not an interface name: ${flags.ifname}`);
        const wait = flags.wait === undefined ? undefined : Number(flags.wait);
        if (wait !== undefined && !(wait > 0 && Number.isFinite(wait))) throw new Error(`--wait: expected seconds, got ${flags.wait}`);
        const host = flags.host ?? hostname();
        const api = networkClient(flags);
        const p = await findPort(api, ref);
        const bound = p['binding:host_id'] ?? '';
        if (bound && bound !== host) throw new Error(`port ${p.id} is bound to host ${bound}, not ${host}: unplug it there first (cloudlet port unplug ${p.id})`);
        const { network } = await api.call<{ network: { mtu: number } }>('GET', `/v2.0/networks/${p.network_id}`);
        const after = bound ? p : (await setHost(api, p.id, host)).port;
        try {
          if (after['binding:vif_type'] === 'binding_failed') {
            throw new Error(`binding port ${p.id} to host ${host} failed: no alive L2 agent there serves its network (cloudlet agent list)`);
          }
          await plugPort(runnerForHost(host, flags.osCloud ?? process.env.OS_CLOUD), { portId: p.id, mac: p.mac_address, mtu: network.mtu, netns: flags.netns, ifname: flags.ifname });
        } catch (err) {
          // nothing half-made: the binding this command set goes back
          if (!bound) await setHost(api, p.id, '').catch(() => {});
          throw err;
        }
        process.stdout.write(`plugged port ${p.id} (${p.mac_address}, mtu ${network.mtu}) into network namespace ${flags.netns} as ${flags.ifname} on host ${host}\n`);
        if (wait !== undefined) await waitActive(api, p.id, host, wait);
      })(opts),
    );
  port
    .command('unplug')
    .description('remove the wiring of PORT (id or name) on this machine and clear its binding:host_id')
    .argument('<port>', 'the port, by id or name')
    .option('--os-cloud <name>', 'credentials from this clouds.yaml entry (env OS_CLOUD; OS_* as the openstack client)')
    .action((ref: string, opts: { osCloud?: string }) =>
      run(async (flags: { osCloud?: string }) => {
        const api = networkClient(flags);
        const p = await findPort(api, ref);
        // where the port's host has its links (a lab host's namespace), else here
        await unplugPort(runnerForHost(p['binding:host_id'] || hostname(), flags.osCloud ?? process.env.OS_CLOUD), p.id);
        if (p['binding:host_id']) await setHost(api, p.id, '');
        process.stdout.write(`unplugged port ${p.id}${p['binding:host_id'] ? ` from host ${p['binding:host_id']}` : ''}\n`);
      })(opts),
    );
  return port;
}
