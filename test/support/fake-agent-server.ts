// A stand-in for the network server's agent endpoints and keystone's token
// endpoint, speaking src/agent/protocol.ts over real HTTP, with the faults the
// agent runtime must survive on demand: away, 5xx, garbage, 410, revoked tokens.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentReport, Change, DeviceReport, HostState, NetworkState, PortState } from '../../src/agent/protocol.js';

export type Fault = 'none' | '500' | 'garbage' | 'gone' | 'hang';

export class FakeAgentServer {
  readonly networks = new Map<string, NetworkState>();
  readonly log: Change[] = [];
  revision = 0;
  /** entries at or below this revision were compacted: /changes from before it answers 410 */
  compactedTo = 0;
  fault: Fault = 'none';
  password = 'agent-pw';
  readonly tokens = new Set<string>();
  readonly seen = { logins: 0, failedLogins: 0, reports: [] as AgentReport[], states: [] as Array<string[] | 'full'>, devices: [] as DeviceReport[], unauthorized: 0 };
  private server: Server | undefined;
  private waiters = new Set<() => void>();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** another server process on the same state (as two servers on one database): its URL and how to stop it */
  async sibling(): Promise<{ url: string; stop(): Promise<void> }> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      stop: async () => {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      },
    };
  }

  /** away: the port refuses connections (open long polls are cut) */
  async stop(): Promise<void> {
    for (const w of this.waiters) w();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
    this.server = undefined;
  }

  /** a change, as the server's outbox records it */
  change(c: Omit<Change, 'revision'>): void {
    this.log.push({ ...c, revision: ++this.revision });
    for (const w of this.waiters) w();
  }

  addNetwork(id: string): NetworkState {
    const n: NetworkState = {
      id, name: id, project_id: 'p', admin_state_up: true, mtu: 1450, network_type: 'vxlan', physical_network: null, segmentation_id: 7,
      dns_domain: 'openstacklocal', subnets: [], ports: [], vteps: [],
    };
    this.networks.set(id, n);
    this.change({ resource: 'network', op: 'create', id, network_ids: [id], hosts: [] });
    return n;
  }

  addPort(networkId: string, id: string, host: string): PortState {
    const p: PortState = {
      id, mac_address: 'fa:16:3e:00:00:01', fixed_ips: [], device_owner: 'compute:nova', device_id: 'd', admin_state_up: true, status: 'DOWN',
      host, vif_type: 'bridge', dns_name: '', extra_dhcp_opts: [],
    };
    this.networks.get(networkId)!.ports.push(p);
    this.change({ resource: 'port', op: 'create', id, network_ids: [networkId], hosts: [host] });
    return p;
  }

  private stateFor(host: string, ids: string[] | undefined): HostState {
    const nets = [...this.networks.values()].filter((n) => n.ports.some((p) => p.host === host) && (!ids || ids.includes(n.id)));
    return { revision: this.revision, host, agent_id: 'agent-1', networks: structuredClone(nets) };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, 'http://x');
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (url.pathname === '/v3/auth/tokens' && req.method === 'POST') {
      const auth = JSON.parse(raw).auth.identity.password.user;
      if (auth.password !== this.password) {
        this.seen.failedLogins++;
        return send(401, { error: { code: 401, message: 'The request you have made requires authentication.' } });
      }
      this.seen.logins++;
      const token = `tok-${this.seen.logins}`;
      this.tokens.add(token);
      return send(201, { token: { expires_at: new Date(Date.now() + 3600_000).toISOString(), catalog: [] } }, { 'X-Subject-Token': token });
    }
    if (!this.tokens.has(String(req.headers['x-auth-token']))) {
      this.seen.unauthorized++;
      return send(401, { error: 'unauthorized' });
    }
    if (this.fault === 'hang') return; // takes the request, never answers
    if (this.fault === '500') return send(500, { NeutronError: { type: 'HTTPInternalServerError', message: 'boom', detail: '' } });
    if (this.fault === 'garbage') return send(200, url.pathname.endsWith('/changes') ? '<html>proxy error</html>' : { revision: 'soon', networks: 'many' });
    const path = url.pathname.replace('/agent-api/v1', '');
    if (path === '/report') {
      this.seen.reports.push(JSON.parse(raw));
      return send(200, { agent: { id: 'agent-1', admin_state_up: true } });
    }
    if (path === '/state') {
      const ids = url.searchParams.getAll('network_id');
      this.seen.states.push(ids.length ? ids : 'full');
      return send(200, this.stateFor(url.searchParams.get('host')!, ids.length ? ids : undefined));
    }
    if (path === '/devices') {
      this.seen.devices.push(JSON.parse(raw));
      return send(200, {});
    }
    if (path === '/changes') {
      const since = Number(url.searchParams.get('since'));
      const timeout = Number(url.searchParams.get('timeout'));
      if (this.fault === 'gone' || since < this.compactedTo) return send(410, { error: 'behind', oldest: this.compactedTo + 1 });
      if (this.revision <= since && timeout > 0) {
        await new Promise<void>((r) => {
          const done = () => {
            clearTimeout(t);
            this.waiters.delete(done);
            r();
          };
          const t = setTimeout(done, timeout * 1000);
          this.waiters.add(done);
          res.on('close', done);
        });
      }
      if (res.destroyed) return;
      return send(200, { revision: this.revision, changes: this.log.filter((c) => c.revision > since) });
    }
    send(404, { error: 'not found' });
  }
}
