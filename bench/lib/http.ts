// Minimal keep-alive JSON client over node:http (undici is not a dependency).
import http from 'node:http';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** What a request loop reports to: counts every answer that is not 2xx, and every transport error. */
export interface Recorder {
  readonly base: URL;
  /** one answer (status 0: a transport error; `text` is the body or the error) */
  record(method: string, path: string, status: number, text: string): void;
  /** a failure of the benchmark's own checks on an answer: counted like a non-2xx answer */
  fault(what: string): void;
}

/**
 * A keep-alive agent to one server, and the Recorder of its answers: counts the 2xx ones and every other
 * answer or transport error, keeping a few samples (with the first `pathChars` characters of the path).
 */
export class CountingClient implements Recorder {
  readonly agent: http.Agent;
  readonly base: URL;
  errors = 0;
  ok = 0;
  readonly samples: string[] = [];

  constructor(url: string, sockets: number, private readonly pathChars: number) {
    this.base = new URL(url);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  close(): void {
    this.agent.destroy();
  }

  fault(what: string): void {
    this.errors++;
    this.remember(what);
  }

  record(method: string, path: string, status: number, text: string): void {
    if (status >= 200 && status < 300) {
      this.ok++;
      return;
    }
    this.errors++;
    this.remember(`${method} ${path.slice(0, this.pathChars)} -> ${status || 'transport error'}: ${text.replace(/\s+/g, ' ').slice(0, 160)}`);
  }

  private remember(s: string): void {
    if (this.samples.length < 5) this.samples.push(s);
  }
}

/** The JSON client of the network and identity benchmarks. */
export class Client extends CountingClient {
  constructor(url: string, sockets = 8, private readonly timeoutMs = 120_000) {
    super(url, sockets, 60);
  }

  /** `extra` headers are added to (or override) the JSON ones. */
  request(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Reply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      ...extra,
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
            resolve({ status, headers: res.headers, body: text });
          });
          res.on('error', (e) => {
            this.record(method, path, 0, String(e));
            resolve({ status: 0, headers: {}, body: String(e) });
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`timeout after ${this.timeoutMs} ms`)));
      req.on('error', (e) => {
        this.record(method, path, 0, String(e));
        resolve({ status: 0, headers: {}, body: String(e) });
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
      this.fault(`POST /v2.0/${collection}: 2xx with unparsable body ${r.body.slice(0, 120)}`);
      return undefined;
    }
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

export interface Rate {
  ok: number; // good answers counted in the measured window
  failed: number;
  seconds: number;
  connections: number;
}

export interface LoopRequest {
  method: string;
  path: string;
  headers?: Record<string, string | number>;
  body?: string;
}

export interface LoopOptions {
  warmupSeconds: number;
  /** the request sent the i-th time (over all connections), when not always the same */
  vary?: (i: number) => LoopRequest;
  /** on a 2xx answer: why it is not good after all (counted with `fault`), or undefined */
  check?: (res: http.IncomingMessage) => string | undefined;
  timeoutMs?: number; // per request (default 10 s)
}

/**
 * `connections` keep-alive connections, each sending `request` back to back (one request in flight per
 * connection) for `seconds` after a warm-up; answers are read and discarded. Every request of the warm-up
 * and the window that does not answer 2xx (or fails `check`) is counted in `to`.
 */
export async function rateLoop(to: Recorder, request: LoopRequest, connections: number, seconds: number, o: LoopOptions): Promise<Rate> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  const timeoutMs = o.timeoutMs ?? 10_000;
  let counting = false;
  let okN = 0;
  let failed = 0;
  let stop = false;
  let sent = 0;
  const one = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const { method, path, headers = {}, body } = o.vary ? o.vary(sent++) : request;
      const all = body === undefined ? headers : { ...headers, 'Content-Length': Buffer.byteLength(body) };
      const req = http.request({ host: to.base.hostname, port: to.base.port, method, path, headers: all, agent }, (res) => {
        const status = res.statusCode ?? 0;
        const good = status >= 200 && status < 300;
        let text = '';
        if (good) res.resume();
        else res.on('data', (b: Buffer) => (text += b.toString('utf8').slice(0, 200)));
        res.on('end', () => {
          to.record(method, path, status, text);
          const bad = good ? o.check?.(res) : undefined;
          if (bad !== undefined) to.fault(`${method} ${path.slice(0, 60)} -> ${status} but ${bad}`);
          if (counting && good && bad === undefined) okN++;
          else if (counting) failed++;
          resolve();
        });
        res.on('error', () => resolve());
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
      req.on('error', (e) => {
        to.record(method, path, 0, String(e));
        if (counting) failed++;
        // a dead connection: do not spin on it
        setTimeout(resolve, 10);
      });
      req.end(body);
    });
  const worker = async (): Promise<void> => {
    while (!stop) await one();
  };
  const workers = Array.from({ length: connections }, worker);
  await new Promise((r) => setTimeout(r, o.warmupSeconds * 1000));
  const t0 = performance.now();
  counting = true;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  counting = false;
  const elapsed = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(workers);
  agent.destroy();
  return { ok: okN, failed, seconds: elapsed, connections };
}
