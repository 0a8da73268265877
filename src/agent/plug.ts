// Wiring a network namespace as the instance behind a port, as nova/os-vif do for the
// Linux bridge: a veth pair, host side `tap<11>` (the L2 agent puts it in the network's
// bridge), peer inside the namespace with the port's MAC and the network's MTU.
import { addVethCommand, delLinkCommand, getLink, listLinksIn, MAX_IFNAME, runAll, setLinkCommand, type Link } from '../host/linux/links.js';
import type { Command, Runner } from '../host/linux/runner.js';
import { interfaceKey, sysctlWriteCommand } from '../host/linux/sysctl.js';
import { tapName } from './protocol.js';

export interface PlugSpec {
  portId: string;
  mac: string;
  mtu: number;
  /** an existing named network namespace (ip netns add) */
  netns: string;
  /** the interface name inside it (default eth0) */
  ifname?: string;
}

/** a plug or unplug refused: nothing was changed */
export class PlugError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlugError';
  }
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

function check(spec: PlugSpec, ifname: string): string {
  if (!IFNAME.test(ifname) || ifname.length > MAX_IFNAME || ifname === '.' || ifname === '..') throw new PlugError(`invalid interface name ${JSON.stringify(ifname)}: up to 15 of A-Z a-z 0-9 _ . -`);
  const mac = spec.mac.toLowerCase();
  if (!MAC.test(mac) || (parseInt(mac.slice(0, 2), 16) & 1) === 1) throw new PlugError(`invalid MAC address ${JSON.stringify(spec.mac)}`);
  if (!Number.isInteger(spec.mtu) || spec.mtu < 68 || spec.mtu > 65535) throw new PlugError(`invalid MTU ${spec.mtu}: 68 to 65535`);
  if (!spec.portId) throw new PlugError('a port id is required');
  return mac;
}

/** the tap's peer when it is `ifname` in the namespace, else null */
const peerOf = (tap: Link, inside: Link[], ifname: string): Link | null => {
  const peer = inside.find((l) => l.name === ifname);
  return peer && peer.kind === 'veth' && tap.peerElsewhere && tap.peerIfindex === peer.ifindex && peer.peerIfindex === tap.ifindex ? peer : null;
};

/**
 * Plugs the port's instance side into `netns`. Idempotent: plugged the same way already,
 * it runs no change (and fixes only what differs, e.g. the MTU). Refuses — changing
 * nothing — when the namespace does not exist, when `tap…` exists but is not this plug, or
 * when the namespace already has another `ifname`. Returns the tap's name.
 */
export async function plugPort(runner: Runner, spec: PlugSpec): Promise<{ tap: string; changed: boolean }> {
  const ifname = spec.ifname ?? 'eth0';
  const mac = check(spec, ifname);
  const tap = tapName(spec.portId);
  const [inside, existing] = await Promise.all([listLinksIn(runner, spec.netns), getLink(runner, tap)]);
  if (inside === null) throw new PlugError(`network namespace ${JSON.stringify(spec.netns)} does not exist (ip netns add ${spec.netns})`);
  const cmds: Command[] = [];
  if (existing) {
    const peer = existing.kind === 'veth' ? peerOf(existing, inside, ifname) : null;
    if (!peer) throw new PlugError(`${tap} exists but is not plugged into ${spec.netns} as ${ifname}: unplug it first (cloudlet port unplug)`);
    if (peer.address !== mac) cmds.push(setLinkCommand(ifname, { address: mac }, spec.netns));
    if (peer.mtu !== spec.mtu) cmds.push(setLinkCommand(ifname, { mtu: spec.mtu }, spec.netns));
    if (existing.mtu !== spec.mtu) cmds.push(setLinkCommand(tap, { mtu: spec.mtu }));
    if (!existing.up) cmds.push(setLinkCommand(tap, { up: true }));
    if (!peer.up) cmds.push(setLinkCommand(ifname, { up: true }, spec.netns));
  } else {
    if (inside.some((l) => l.name === ifname)) throw new PlugError(`${spec.netns} already has an interface ${ifname}`);
    cmds.push(
      // one request makes both ends, the peer already in the namespace with its MAC
      addVethCommand(tap, { name: ifname, netns: spec.netns, address: mac, mtu: spec.mtu }, spec.mtu),
      // the host side carries the instance's frames only: no address of the host's on it
      sysctlWriteCommand(interfaceKey('ipv6', tap, 'disable_ipv6'), 1),
      setLinkCommand(tap, { up: true }),
      setLinkCommand(ifname, { up: true }, spec.netns),
    );
  }
  await runAll(runner, cmds);
  return { tap, changed: cmds.length > 0 };
}

/** Deletes the port's tap (its peer goes with it). False when there was none. */
export async function unplugPort(runner: Runner, portId: string): Promise<boolean> {
  const tap = tapName(portId);
  const link = await getLink(runner, tap);
  if (!link) return false;
  if (link.kind !== 'veth') throw new PlugError(`${tap} is a ${link.kind || 'plain'} device, not a plugged port's veth: left alone`);
  await runner.run(delLinkCommand(tap));
  return true;
}
