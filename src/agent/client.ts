// The agent's side of the wire (protocol.ts): typed calls to the network API's
// agent endpoints with the service user's keystone token (KeystoneSession renews
// it). Every answer is checked for its shape: a server answering garbage is an
// error here, never a half-read state handed to a reconciler.
import { HttpError, type KeystoneSession } from '../common/keystone-session.js';
import { AGENT_API, type AgentReport, type AgentReportReply, type AgentType, type ChangeBatch, type DeviceReport, type HostState, type PortState } from './protocol.js';

/** 410 from /changes: the log after our revision was compacted; a fresh snapshot is needed */
export class BehindError extends Error {
  constructor(readonly oldest: number | undefined) {
    super(`the change log no longer holds our revision (oldest ${oldest ?? '?'})`);
    this.name = 'BehindError';
  }
}

export interface AgentApi {
  report(r: AgentReport): Promise<AgentReportReply>;
  state(host: string, type: AgentType, networkIds?: string[]): Promise<HostState>;
  changes(since: number, timeoutSeconds: number, signal?: AbortSignal): Promise<ChangeBatch>;
  devices(r: DeviceReport): Promise<void>;
  dhcpPort(host: string, networkId: string): Promise<PortState>;
}

const garbage = (what: string, v: unknown): Error => new Error(`${what}: the server answered something that is not ${what}: ${JSON.stringify(v)?.slice(0, 80)}`);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRevision = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** a server that takes a connection and never answers must not hold an agent forever */
const REQUEST_TIMEOUT_MS = 30_000;

const within = (ms: number, signal?: AbortSignal): AbortSignal => (signal ? AbortSignal.any([signal, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms));

export class AgentClient implements AgentApi {
  /** `server`: the network API's URL (http://host:9696) */
  constructor(private readonly session: KeystoneSession, private readonly server: string, private readonly timeoutMs = REQUEST_TIMEOUT_MS) {}

  private url(path: string): string {
    return `${this.server.replace(/\/+$/, '')}${AGENT_API}${path}`;
  }

  async report(r: AgentReport): Promise<AgentReportReply> {
    const reply = await this.session.json<AgentReportReply>('POST', this.url('/report'), { body: r, signal: within(this.timeoutMs) });
    if (!isObj(reply) || !isObj(reply.agent) || typeof reply.agent.id !== 'string') throw garbage('an agent report reply', reply);
    return reply;
  }

  async state(host: string, type: AgentType, networkIds: string[] = []): Promise<HostState> {
    const q = new URLSearchParams({ host, agent_type: type });
    for (const id of networkIds) q.append('network_id', id);
    const s = await this.session.json<HostState>('GET', this.url(`/state?${q}`), { signal: within(this.timeoutMs) });
    if (!isObj(s) || !isRevision(s.revision) || !Array.isArray(s.networks) || !s.networks.every((n) => isObj(n) && typeof n.id === 'string' && Array.isArray(n.ports) && Array.isArray(n.subnets))) {
      throw garbage('a host state', s);
    }
    return s;
  }

  async changes(since: number, timeoutSeconds: number, signal?: AbortSignal): Promise<ChangeBatch> {
    const q = new URLSearchParams({ since: String(since), timeout: String(timeoutSeconds) });
    let b: ChangeBatch;
    try {
      b = await this.session.json<ChangeBatch>('GET', this.url(`/changes?${q}`), { signal: within(timeoutSeconds * 1000 + this.timeoutMs, signal) });
    } catch (err) {
      if (err instanceof HttpError && err.status === 410) throw new BehindError(isObj(err.body) && isRevision(err.body.oldest) ? err.body.oldest : undefined);
      throw err;
    }
    if (!isObj(b) || !isRevision(b.revision) || !Array.isArray(b.changes) || !b.changes.every((c) => isObj(c) && Array.isArray(c.network_ids) && Array.isArray(c.hosts))) {
      throw garbage('a change batch', b);
    }
    return b;
  }

  async devices(r: DeviceReport): Promise<void> {
    await this.session.json<unknown>('POST', this.url('/devices'), { body: r, signal: within(this.timeoutMs) });
  }

  async dhcpPort(host: string, networkId: string): Promise<PortState> {
    const p = await this.session.json<PortState>('POST', this.url('/dhcp-port'), { body: { host, network_id: networkId }, signal: within(this.timeoutMs) });
    if (!isObj(p) || typeof p.id !== 'string' || typeof p.mac_address !== 'string' || !Array.isArray(p.fixed_ips)) throw garbage('a port', p);
    return p;
  }
}
