// One JSON request to a test server: the body parsed when it is JSON, kept as text otherwise.
export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

export function jsonCaller(url: string) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const res = await fetch(url + path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text for the assertion message */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
}
