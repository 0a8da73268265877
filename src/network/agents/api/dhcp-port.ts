// POST {AGENT_API}/dhcp-port: Neutron's create_dhcp_port (dhcp_rpc) — the DHCP agent's port
// on a network, made once per (network, host) through the plugin, so the mechanism
// drivers bind it and the change log records it.
import type { FastifyInstance } from 'fastify';
import { AGENT_API, type PortState } from '../../../agent/protocol.js';
import type { AuthStrategy } from '../../api/auth.js';
import { sql } from 'kysely';
import type { Payload } from '../../callbacks.js';
import { Errors, NeutronError } from '../../model/errors.js';
import type { PluginContext } from '../../ml2/context.js';
import { prepareCreate } from '../../api/body.js';
import type { Caller } from '../../model/caller.js';
import { portDef } from '../../model/resources/port.js';
import type { Ml2Plugin } from '../../ml2/plugin.js';
import { DHCP_OWNER, RESERVED_DHCP_PORT, dhcpDeviceId } from '../dhcp-device.js';
import { enforceRule, objectBody, stringField } from './guard.js';
import { portState } from './port-state.js';

type Body = Record<string, unknown>;

/** Requests for one (network, host) run one after another: a retried request finds the port the first made. */
const pending = new Map<string, Promise<unknown>>();

async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = pending.get(key) ?? Promise.resolve();
  const run = before.catch(() => {}).then(fn);
  pending.set(key, run);
  try {
    return await run;
  } finally {
    if (pending.get(key) === run) pending.delete(key);
  }
}

const portsWithDevice = (plugin: Ml2Plugin, networkId: string, deviceId: string) =>
  plugin.ctx.db.selectFrom('ports').select('id').where('network_id', '=', networkId).where('device_id', '=', deviceId).orderBy('created_at').orderBy('id').execute();

/** The DHCP port of (network, host): found, else a reserved one claimed, else made; kept on every DHCP-enabled subnet and bound to host. */
export async function ensureDhcpPort(plugin: Ml2Plugin, caller: Caller, networkId: string, host: string): Promise<Body> {
  const db = plugin.ctx.db;
  const network = await db.selectFrom('networks').select(['id', 'project_id']).where('id', '=', networkId).executeTakeFirst();
  if (!network) throw Errors.notFound('Network', networkId);
  const dhcpSubnets = (await db.selectFrom('subnets').select('id').where('network_id', '=', networkId).where('enable_dhcp', '=', 1).execute()).map((s) => s.id);
  if (dhcpSubnets.length === 0) throw Errors.conflict(`Network ${networkId} has no subnet with DHCP enabled.`);
  const deviceId = dhcpDeviceId(networkId, host);

  let [own] = await portsWithDevice(plugin, networkId, deviceId);
  if (!own) {
    const [reserved] = await portsWithDevice(plugin, networkId, RESERVED_DHCP_PORT);
    if (reserved) {
      await plugin.ports.update(caller, reserved.id, { device_id: deviceId, 'binding:host_id': host });
      own = reserved;
    }
  }
  if (!own) {
    const item = prepareCreate(portDef, {
      network_id: networkId, project_id: network.project_id, device_owner: DHCP_OWNER, device_id: deviceId,
      'binding:host_id': host, fixed_ips: dhcpSubnets.map((subnet_id) => ({ subnet_id })),
    }, caller);
    try {
      const [created] = await plugin.ports.create(caller, [item]);
      return created;
    } catch (err) {
      // another server process made it meanwhile (guardDhcpPort): that one is the answer
      if (!(err instanceof NeutronError && err.type === DHCP_PORT_EXISTS)) throw err;
      [own] = await portsWithDevice(plugin, networkId, deviceId);
    }
  }
  const port = await plugin.ports.get(caller, own.id);
  const fixed = port.fixed_ips as Array<{ subnet_id: string; ip_address: string }>;
  const missing = dhcpSubnets.filter((s) => !fixed.some((f) => f.subnet_id === s));
  const changes: Body = {};
  if (missing.length) changes.fixed_ips = [...fixed, ...missing.map((subnet_id) => ({ subnet_id }))];
  if (port['binding:host_id'] !== host) changes['binding:host_id'] = host;
  return Object.keys(changes).length ? plugin.ports.update(caller, own.id, changes) : port;
}

const DHCP_PORT_EXISTS = 'DhcpPortExists';

/**
 * A port-create precommit check: a second DHCP port of one (network, host), made by another
 * server process at the same moment, is refused (409) in its transaction. On PostgreSQL the
 * creates of one device id queue on an advisory lock, so the later one sees the earlier;
 * SQLite writes one transaction at a time.
 */
export async function guardDhcpPort(ctx: PluginContext, p: Payload): Promise<void> {
  const port = p.current;
  if (!p.tx || !port || port.device_owner !== DHCP_OWNER) return;
  const deviceId = port.device_id as string;
  if (!deviceId.startsWith('dhcp') || !deviceId.endsWith(`-${port.network_id as string}`)) return;
  if (ctx.database.dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`dhcp-port:${deviceId}`}, 0))`.execute(p.tx);
  const other = await p.tx.selectFrom('ports').select('id').where('network_id', '=', port.network_id as string)
    .where('device_id', '=', deviceId).where('id', '!=', port.id as string).executeTakeFirst();
  if (other) throw new NeutronError(DHCP_PORT_EXISTS, 409, `Port ${other.id} is already the DHCP port ${deviceId}.`);
}

/** As Neutron's remove_network_from_dhcp_agent: the host's DHCP port keeps its addresses for the next agent. */
export async function reserveDhcpPorts(plugin: Ml2Plugin, caller: Caller, networkId: string, host: string): Promise<void> {
  for (const p of await portsWithDevice(plugin, networkId, dhcpDeviceId(networkId, host))) {
    try {
      await plugin.ports.update(caller, p.id, { device_id: RESERVED_DHCP_PORT });
    } catch (err) {
      // deleted meanwhile: nothing to keep
      if ((err as { status?: number }).status !== 404) throw err;
    }
  }
}

export function registerDhcpPort(app: FastifyInstance, plugin: Ml2Plugin, auth: AuthStrategy): void {
  app.post(`${AGENT_API}/dhcp-port`, async (req): Promise<PortState> => {
    const caller = await enforceRule(auth, req, 'agent_api');
    const body = objectBody(req.body, 'host');
    const host = stringField(body, 'host');
    const networkId = stringField(body, 'network_id', 36);
    const port = await serialized(`${networkId} ${host}`, () => ensureDhcpPort(plugin, caller, networkId, host));
    return portState(port);
  });
}
