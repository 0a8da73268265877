// Waiting for the lab to work: the network API answering through the machine's forwarder,
// then every host's agents alive.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, check?: () => void): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    check?.();
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = `: ${(err as Error).message}`;
    }
    if (Date.now() > end) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${last}`);
    await sleep(250);
  }
}

/** any HTTP answer at all */
export const answers = async (url: string): Promise<true | undefined> => ((await fetch(url, { signal: AbortSignal.timeout(2000) })).status > 0 ? true : undefined);

/** a project-scoped token (the header's value) for that user */
export async function passwordToken(authUrl: string, username: string, password: string, project: string): Promise<string> {
  const res = await fetch(`${authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: username, domain: { name: 'Default' }, password } } },
        scope: { project: { name: project, domain: { name: 'Default' } } },
      },
    }),
    signal: AbortSignal.timeout(15_000),
  });
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token) throw new Error(`identity answered ${res.status} to ${username}'s password`);
  return token;
}

export interface AgentRow {
  host: string;
  agent_type: string;
  alive: boolean;
}

/** GET /v2.0/agents; undefined when the network API has no agents extension (404) */
export async function listAgents(networkUrl: string, token: string): Promise<AgentRow[] | undefined> {
  const res = await fetch(`${networkUrl}/v2.0/agents`, { headers: { 'x-auth-token': token }, signal: AbortSignal.timeout(15_000) });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET /v2.0/agents: ${res.status}`);
  return ((await res.json()) as { agents: AgentRow[] }).agents;
}

/** the wanted agents ("osad1: Linux bridge agent") not alive among `agents` */
export const missingAgents = (agents: AgentRow[], wanted: Array<{ host: string; type: string }>): string[] =>
  wanted.filter((w) => !agents.some((a) => a.host === w.host && a.agent_type === w.type && a.alive)).map((w) => `${w.host}: ${w.type}`);
