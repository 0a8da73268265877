// A client's keystone session, as keystoneauth's Password plugin: password auth
// against auth_url scoped to a project, the token kept and renewed before it
// expires or when a service answers 401, the catalog read for endpoints. The
// token and password never leave this object (no log line holds them).

export interface PasswordAuth {
  /** http://host:35357/v3 (a URL without /v3 gets it) */
  authUrl: string;
  username: string;
  password: string;
  userDomainName?: string;
  userDomainId?: string;
  projectName?: string;
  projectId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  regionName?: string;
  /** the catalog interface: public (default), internal, admin */
  interface?: string;
}

/** An answer the caller did not expect: the status and the server's message. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly body?: unknown) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The identity service refused the credentials (not retried at once: a wrong password stays wrong). */
export class AuthFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthFailed';
  }
}

/** Neutron's {NeutronError: {message}}, Keystone's {error: {message}}, else the start of the text */
export function messageOf(body: unknown, text: string): string {
  const b = body as { NeutronError?: { message?: string }; error?: { message?: string } | string; message?: string } | undefined;
  const m = b?.NeutronError?.message ?? (typeof b?.error === 'object' ? b.error.message : b?.error) ?? b?.message;
  return typeof m === 'string' ? m : text.slice(0, 200);
}

/** fetch's "fetch failed" says nothing: the cause (ECONNREFUSED …) does */
export function networkError(url: string, err: unknown): Error {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return new Error(`${new URL(url).origin} did not answer in time`);
  if (e.name === 'AbortError') return e;
  const code = e.cause?.code === 'UND_ERR_SOCKET' ? 'the connection was closed' : e.cause?.code;
  return new Error(`cannot reach ${new URL(url).origin}: ${code ?? e.cause?.message ?? e.message}`);
}

const staleConnection = (err: unknown): boolean => ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'].includes((err as { cause?: { code?: string } }).cause?.code ?? '');

interface CatalogEntry {
  type: string;
  endpoints: Array<{ interface: string; region_id?: string; region?: string; url: string }>;
}

export interface Reply {
  status: number;
  body: unknown;
  text: string;
}

export class KeystoneSession {
  private current: { token: string; expires: number; catalog: CatalogEntry[] } | undefined;
  private pending: Promise<{ token: string; expires: number; catalog: CatalogEntry[] }> | undefined;

  constructor(readonly auth: PasswordAuth, private readonly now: () => number = Date.now) {}

  get authUrl(): string {
    const u = this.auth.authUrl.replace(/\/+$/, '');
    return /\/v3$/.test(u) ? u : `${u}/v3`;
  }

  /** a valid token: the kept one, or a new one when it is gone, close to expiry, or `fresh` asks */
  async token(fresh = false): Promise<string> {
    if (fresh) this.current = undefined;
    const c = this.current;
    if (c && c.expires > this.now()) return c.token;
    this.pending ??= this.authenticate().finally(() => (this.pending = undefined));
    this.current = await this.pending;
    return this.current.token;
  }

  /** the URL of the service of `type` in the catalog, for the session's interface and region */
  async endpoint(type: string): Promise<string> {
    await this.token();
    const iface = this.auth.interface ?? 'public';
    const svc = this.current!.catalog.find((s) => s.type === type);
    const ep = svc?.endpoints.find((e) => e.interface === iface && (!this.auth.regionName || (e.region_id ?? e.region) === this.auth.regionName));
    if (!ep) throw new Error(`the catalog of ${this.authUrl} has no ${iface} ${type} endpoint${this.auth.regionName ? ` in region ${this.auth.regionName}` : ''}`);
    return ep.url.replace(/\/+$/, '');
  }

  /** one request with the token; a 401 gets one retry with a new token (it may have been revoked or expired early) */
  async request(method: string, url: string, opts: { body?: unknown; signal?: AbortSignal } = {}): Promise<Reply> {
    let reply = await this.send(method, url, await this.token(), opts);
    if (reply.status === 401) reply = await this.send(method, url, await this.token(true), opts);
    return reply;
  }

  /** request, expecting a 2xx JSON answer: anything else throws HttpError with the server's message */
  async json<T>(method: string, url: string, opts: { body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
    const r = await this.request(method, url, opts);
    if (r.status < 200 || r.status > 299) throw new HttpError(r.status, `${method} ${new URL(url).pathname}: ${r.status} ${messageOf(r.body, r.text)}`, r.body);
    if (r.status === 204) return undefined as T;
    if (r.body === undefined) throw new HttpError(r.status, `${method} ${new URL(url).pathname}: the answer is not JSON: ${JSON.stringify(r.text.slice(0, 80))}`);
    return r.body as T;
  }

  private async send(method: string, url: string, token: string, opts: { body?: unknown; signal?: AbortSignal }): Promise<Reply> {
    const headers: Record<string, string> = { 'X-Auth-Token': token, Accept: 'application/json' };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    const once = async (): Promise<{ status: number; text: string }> => {
      const res = await fetch(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: opts.signal });
      return { status: res.status, text: await res.text() };
    };
    let got: { status: number; text: string };
    try {
      got = await once();
    } catch (err) {
      // a kept-alive connection the server (or a proxy) closed meanwhile: a read is asked again once
      if (!(method === 'GET' && staleConnection(err))) throw networkError(url, err);
      try {
        got = await once();
      } catch (again) {
        throw networkError(url, again);
      }
    }
    let body: unknown;
    try {
      body = got.text ? JSON.parse(got.text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: got.status, body, text: got.text };
  }

  private async authenticate(): Promise<{ token: string; expires: number; catalog: CatalogEntry[] }> {
    const a = this.auth;
    const domain = (id?: string, name?: string) => (id ? { id } : { name: name ?? 'Default' });
    const scope = a.projectId
      ? { project: { id: a.projectId } }
      : a.projectName
        ? { project: { name: a.projectName, domain: domain(a.projectDomainId, a.projectDomainName) } }
        : undefined;
    const body = {
      auth: {
        identity: { methods: ['password'], password: { user: { name: a.username, domain: domain(a.userDomainId, a.userDomainName), password: a.password } } },
        ...(scope ? { scope } : {}),
      },
    };
    const url = `${this.authUrl}/auth/tokens`;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      throw networkError(url, err);
    }
    const text = await res.text();
    const who = `user ${a.username}${a.projectName || a.projectId ? ` (project ${a.projectName ?? a.projectId})` : ''}`;
    if (res.status === 401 || res.status === 403) throw new AuthFailed(`the identity service at ${this.authUrl} refused ${who}: wrong password, or the user is disabled or has no role on the project`);
    let parsed: { token?: { expires_at?: string; catalog?: CatalogEntry[] } } | undefined;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const token = res.headers.get('x-subject-token');
    if (res.status !== 201 || !token || !parsed?.token) throw new HttpError(res.status, `the identity service at ${this.authUrl} answered ${res.status} to the login of ${who}: ${messageOf(parsed, text)}`);
    const issued = this.now();
    const expiresAt = Date.parse(parsed.token.expires_at ?? '') || issued + 3600_000;
    // renewed 2 minutes before expiry, or halfway through a short-lived token
    const margin = Math.min(120_000, (expiresAt - issued) / 2);
    return { token, expires: expiresAt - margin, catalog: parsed.token.catalog ?? [] };
  }
}
