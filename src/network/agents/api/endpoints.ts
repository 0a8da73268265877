// The agent endpoints under AGENT_API (src/agent/protocol.ts): report (heartbeat), state
// (a host's desired state with its revision) and devices (ports wired or unplugged).
// Only the agents' service user or an admin may call them (rule agent_api).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AGENT_API, type AgentReport, type AgentReportReply, type AgentType, type HostState } from '../../../agent/protocol.js';
import type { AuthStrategy } from '../../api/auth.js';
import { Errors } from '../../model/errors.js';
import { searchOf } from '../../api/controller.js';
import type { Ml2Plugin } from '../../ml2/plugin.js';
import type { Agents } from '../agents.js';
import { DHCP_AGENT, L2_AGENT } from '../scheduler.js';
import { hostState } from '../state.js';
import { enforceRule, objectBody, stringField } from './guard.js';
import { registerDhcpPort } from './dhcp-port.js';

const AGENT_TYPES: readonly AgentType[] = [L2_AGENT, DHCP_AGENT];
/** more ids than any host wires between two reports; keeps one request's work bounded */
const MAX_DEVICES = 10_000;

function agentType(v: unknown): AgentType {
  if (!AGENT_TYPES.includes(v as AgentType)) {
    throw Errors.badRequest(`Invalid input for agent_type. Reason: '${String(v)}' is not in [${AGENT_TYPES.map((t) => `'${t}'`).join(', ')}].`);
  }
  return v as AgentType;
}

function optionalBoolean(body: Record<string, unknown>, name: string): boolean | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw Errors.badRequest(`Invalid input for ${name}. Reason: '${JSON.stringify(v)}' is not a valid boolean value.`);
  return v;
}

/** Validates an AgentReport: every field typed, as Neutron's agent state dict is. */
export function parseReport(raw: unknown): AgentReport {
  const body = objectBody(raw, 'host');
  const configurations = body.configurations ?? {};
  if (typeof configurations !== 'object' || configurations === null || Array.isArray(configurations)) {
    throw Errors.badRequest('Invalid input for configurations. Reason: it is not a dictionary.');
  }
  const az = body.availability_zone;
  if (az !== undefined && az !== null && (typeof az !== 'string' || az.length > 255)) {
    throw Errors.badRequest(`Invalid input for availability_zone. Reason: '${JSON.stringify(az)}' is not a valid string.`);
  }
  const report: AgentReport = {
    host: stringField(body, 'host'),
    agent_type: agentType(body.agent_type),
    binary: stringField(body, 'binary'),
    topic: stringField(body, 'topic'),
    configurations: configurations as Record<string, unknown>,
  };
  if (az !== undefined) report.availability_zone = az as string | null;
  const start = optionalBoolean(body, 'start_flag');
  if (start !== undefined) report.start_flag = start;
  const synced = optionalBoolean(body, 'resources_synced');
  if (synced !== undefined) report.resources_synced = synced;
  if (JSON.stringify(report.configurations).length > 65_536) throw Errors.badRequest('Invalid input for configurations. Reason: larger than 64 KiB.');
  return report;
}

function idList(body: Record<string, unknown>, name: string): string[] {
  const v = body[name] ?? [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string') || v.length > MAX_DEVICES) {
    throw Errors.badRequest(`Invalid input for ${name}. Reason: a list of at most ${MAX_DEVICES} port ids is expected.`);
  }
  return [...new Set(v as string[])];
}

export interface AgentEndpointDeps {
  plugin: Ml2Plugin;
  agents: Agents;
  auth: AuthStrategy;
}

export function registerAgentEndpoints(app: FastifyInstance, { plugin, agents, auth }: AgentEndpointDeps): void {
  const guard = (req: FastifyRequest) => enforceRule(auth, req, 'agent_api');

  app.post(`${AGENT_API}/report`, async (req): Promise<AgentReportReply> => {
    await guard(req);
    const row = await agents.report(parseReport(req.body));
    return { agent: { id: row.id, admin_state_up: Boolean(row.admin_state_up) } };
  });

  app.get(`${AGENT_API}/state`, async (req): Promise<HostState> => {
    await guard(req);
    const search = searchOf(req);
    const host = search.get('host') ?? '';
    if (host === '' || host.length > 255) throw Errors.badRequest('Invalid input for host. Reason: a host name of 1 to 255 characters is required.');
    const only = search.getAll('network_id');
    return hostState(plugin.ctx.database, plugin.ctx.changeLog, host, agentType(search.get('agent_type')), only);
  });

  /** Neutron's update_device_up / update_device_down, through the plugin's update so drivers and the log see it. */
  app.post(`${AGENT_API}/devices`, async (req) => {
    const caller = await guard(req);
    const body = objectBody(req.body, 'host');
    const host = stringField(body, 'host');
    const wanted = new Map<string, string>();
    for (const id of idList(body, 'down')) wanted.set(id, 'DOWN');
    for (const id of idList(body, 'up')) wanted.set(id, 'ACTIVE');
    const ids = [...wanted.keys()];
    const rows = ids.length
      ? await plugin.ctx.db.selectFrom('ports').select(['id', 'status', 'binding_host_id']).where('id', 'in', ids).execute()
      : [];
    const done: string[] = [];
    const skipped: string[] = [];
    for (const id of ids) {
      const row = rows.find((r) => r.id === id);
      // unknown, or bound to another host: not this agent's to report
      if (!row || row.binding_host_id !== host) {
        skipped.push(id);
        continue;
      }
      const status = wanted.get(id)!;
      if (row.status !== status) {
        try {
          await plugin.ports.update(caller, id, { status });
        } catch (err) {
          if ((err as { status?: number }).status !== 404) throw err;
          skipped.push(id);
          continue;
        }
      }
      done.push(id);
    }
    return { updated: done, skipped };
  });

  registerDhcpPort(app, plugin, auth);
}
