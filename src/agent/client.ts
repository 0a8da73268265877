// The agent's side of the wire (protocol.ts): typed calls to the network API's
// agent endpoints with the service user's keystone token (KeystoneSession renews
// it). Every answer is checked for its shape: a server answering garbage is an
// error here, never a half-read state handed to a reconciler.
import { AuthFailed, HttpError, type KeystoneSession } from '../common/keystone-session.js';
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

/**
 * The caller's signal, aborted after `ms` too; done() when the request ended. Not
 * AbortSignal.any(): on Node 20 the signals it combines may be garbage-collected before they
 * fire (nodejs/node#57736): the timeout's, so a long poll to a server that stopped answering
 * waited forever, and the caller's, so an agent's stop waited for its long poll to end. One
 * controller, held by the timer and by a listener on the caller's signal, cannot be collected.
 */
function within(ms: number, signal?: AbortSignal): { signal: AbortSignal; done(): void } {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException('the request timed out', 'TimeoutError')), ms);
  const follow = (): void => deadline.abort(signal!.reason);
  if (signal?.aborted) follow();
  else signal?.addEventListener('abort', follow, { once: true });
  return {
    signal: deadline.signal,
    done: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', follow);
    },
  };
}

/** a failure another server may not have: unreachable, 5xx, garbage (not a refusal, not 410, not a stop) */
const worthAnotherServer = (err: unknown): boolean =>
  !(err instanceof HttpError && err.status >= 400 && err.status < 500) && !(err instanceof AuthFailed) && (err as Error).name !== 'AbortError';

export class AgentClient implements AgentApi {
  private readonly servers: string[];
  private current = 0;

  /**
   * `server`: the network API's URL (http://host:9696), or several separated by commas:
   * servers of one database, the next one tried after a failure (the revision an agent
   * resumes from means the same on every one of them).
   */
  constructor(private readonly session: KeystoneSession, server: string, private readonly timeoutMs = REQUEST_TIMEOUT_MS) {
    this.servers = parseServers(server);
  }

  /** the server asked now */
  get server(): string {
    return this.servers[this.current];
  }

  /** `opts.waitMs`: how long the server may take on purpose (a long poll), on top of the request timeout */
  private async call<T>(method: string, path: string, opts: { body?: unknown; signal?: AbortSignal; waitMs?: number }, what: string, valid: (v: T) => boolean): Promise<T> {
    const server = this.current;
    const deadline = within((opts.waitMs ?? 0) + this.timeoutMs, opts.signal);
    try {
      const v = await this.session.json<T>(method, `${this.servers[server]}${AGENT_API}${path}`, { body: opts.body, signal: deadline.signal });
      if (!valid(v)) throw garbage(what, v);
      return v;
    } catch (err) {
      // the heartbeat and the sync loop may fail on one server together: it is left once, not twice (back to it)
      if (this.servers.length > 1 && worthAnotherServer(err) && this.current === server) this.current = (server + 1) % this.servers.length;
      throw err;
    } finally {
      deadline.done();
    }
  }

  report(r: AgentReport): Promise<AgentReportReply> {
    return this.call<AgentReportReply>('POST', '/report', { body: r }, 'an agent report reply', (v) => isObj(v) && isObj(v.agent) && typeof v.agent.id === 'string');
  }

  state(host: string, type: AgentType, networkIds: string[] = []): Promise<HostState> {
    const q = new URLSearchParams({ host, agent_type: type });
    for (const id of networkIds) q.append('network_id', id);
    return this.call<HostState>('GET', `/state?${q}`, {}, 'a host state', (s) =>
      isObj(s) && isRevision(s.revision) && Array.isArray(s.networks) && s.networks.every((n) => isObj(n) && typeof n.id === 'string' && Array.isArray(n.ports) && Array.isArray(n.subnets)));
  }

  async changes(since: number, timeoutSeconds: number, signal?: AbortSignal): Promise<ChangeBatch> {
    const q = new URLSearchParams({ since: String(since), timeout: String(timeoutSeconds) });
    try {
      return await this.call<ChangeBatch>('GET', `/changes?${q}`, { signal, waitMs: timeoutSeconds * 1000 }, 'a change batch', (b) =>
        isObj(b) && isRevision(b.revision) && Array.isArray(b.changes) && b.changes.every((c) => isObj(c) && Array.isArray(c.network_ids) && Array.isArray(c.hosts)));
    } catch (err) {
      if (err instanceof HttpError && err.status === 410) throw new BehindError(isObj(err.body) && isRevision(err.body.oldest) ? err.body.oldest : undefined);
      throw err;
    }
  }

  async devices(r: DeviceReport): Promise<void> {
    await this.call<unknown>('POST', '/devices', { body: r }, 'an answer', () => true);
  }

  dhcpPort(host: string, networkId: string): Promise<PortState> {
    return this.call<PortState>('POST', '/dhcp-port', { body: { host, network_id: networkId } }, 'a port', (p) =>
      isObj(p) && typeof p.id === 'string' && typeof p.mac_address === 'string' && Array.isArray(p.fixed_ips));
  }
}

/** "http://a:9696,http://b:9696" → each checked, without a trailing slash */
export function parseServers(text: string, where = 'server'): string[] {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (!list.length) throw new Error(`${where}: no URL given`);
  return list.map((u) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new Error(`${where}: not a URL: ${u}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${where}: not an http(s) URL: ${u}`);
    return u.replace(/\/+$/, '');
  });
}
