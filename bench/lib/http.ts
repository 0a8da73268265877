// Minimal keep-alive JSON client over node:http (undici is not a dependency).
import http from 'node:http';

export interface Reply {
  status: number;
  body: string;
}

/** Counts every answer that is not 2xx, and every transport error, per client. */
export class Client {
  readonly agent: http.Agent;
  readonly base: URL;
  errors = 0;
  ok = 0;
  readonly samples: string[] = [];

  constructor(url: string, sockets = 8, private readonly timeoutMs = 120_000) {
    this.base = new URL(url);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  request(method: string, path: string, body?: unknown): Promise<Reply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = {
      Accept: 'application/json',
      'Content-Type': 'application/json',
    };
    if (payload !== undefined) headers['Content-Length'] = Buffer.byteLength(payload);
    return new Promise<Reply>((resolve) => {
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          headers,
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            this.record(method, path, status, text);
            resolve({ status, body: text });
          });
          res.on('error', (e) => {
            this.record(method, path, 0, String(e));
            resolve({ status: 0, body: String(e) });
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`timeout after ${this.timeoutMs} ms`)));
      req.on('error', (e) => {
        this.record(method, path, 0, String(e));
        resolve({ status: 0, body: String(e) });
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** POST a Neutron resource and return its id, or undefined on failure. */
  async create(collection: string, key: string, attrs: Record<string, unknown>): Promise<string | undefined> {
    const r = await this.request('POST', `/v2.0/${collection}`, { [key]: attrs });
    if (r.status < 200 || r.status >= 300) return undefined;
    try {
      const parsed = JSON.parse(r.body) as Record<string, { id?: unknown } | undefined>;
      const id = parsed[key]?.id;
      return typeof id === 'string' ? id : undefined;
    } catch {
      this.errors++;
      this.remember(`POST /v2.0/${collection}: 2xx with unparsable body ${r.body.slice(0, 120)}`);
      return undefined;
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private record(method: string, path: string, status: number, text: string): void {
    if (status >= 200 && status < 300) {
      this.ok++;
      return;
    }
    this.errors++;
    this.remember(`${method} ${path.slice(0, 60)} -> ${status || 'transport error'}: ${text.replace(/\s+/g, ' ').slice(0, 160)}`);
  }

  private remember(s: string): void {
    if (this.samples.length < 5) this.samples.push(s);
  }
}

/** Poll GET `path` (default /v2.0/networks?limit=1) until it answers below 500, or give up after timeoutMs. */
export async function waitReady(
  url: string,
  timeoutMs: number,
  alive: () => boolean = () => true,
  path = '/v2.0/networks?limit=1',
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && alive()) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get(`${url}${path}`, (res) => {
        res.resume();
        // Any HTTP answer below 500 means the API is up (a 4xx on ?limit would still be an answer).
        res.on('end', () => resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 500));
      });
      req.setTimeout(5_000, () => req.destroy());
      req.on('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}
