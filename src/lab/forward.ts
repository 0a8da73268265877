// Byte forwarders between TCP and unix sockets, for reaching the lab controller's services
// from the machine. Hand-written rather than socat: a socket pipe is two lines of `pipe`,
// and socat is one more package on every machine that runs a lab.
import { chmodSync, rmSync } from 'node:fs';
import net from 'node:net';

export type Endpoint = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export function parseEndpoint(text: string): Endpoint {
  if (text.startsWith('unix:') && text.length > 5) return { kind: 'unix', path: text.slice(5) };
  const m = /^tcp:(.+):(\d{1,5})$/.exec(text);
  if (m && Number(m[2]) <= 65535) return { kind: 'tcp', host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
  throw new Error(`not an endpoint (tcp:HOST:PORT or unix:PATH): ${text}`);
}

/** "LISTEN=CONNECT" */
export function parseRule(text: string): { listen: Endpoint; connect: Endpoint } {
  const i = text.indexOf('=');
  if (i < 0) throw new Error(`expected LISTEN=CONNECT, got ${text}`);
  return { listen: parseEndpoint(text.slice(0, i)), connect: parseEndpoint(text.slice(i + 1)) };
}

const connectTo = (e: Endpoint): net.Socket => (e.kind === 'tcp' ? net.connect(e.port, e.host) : net.connect(e.path));

/** listens on `listen` and pipes every connection to a new one to `connect`; resolves once listening */
export function forward(listen: Endpoint, connect: Endpoint): Promise<net.Server> {
  const server = net.createServer((client) => {
    const upstream = connectTo(connect);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const ready = () => {
      server.off('error', reject);
      resolve(server);
    };
    if (listen.kind === 'tcp') return server.listen(listen.port, listen.host, ready);
    rmSync(listen.path, { force: true }); // a socket left by a forwarder that was killed
    server.listen(listen.path, () => {
      chmodSync(listen.path, 0o600);
      ready();
    });
  });
}
