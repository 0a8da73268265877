// The lab's forwarders: TCP to a unix socket to TCP, bytes both ways; bad rules refused. No root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forward, parseRule } from '../../src/lab/forward.js';

const listen = (server: net.Server): Promise<number> =>
  new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));

test('127.0.0.1:P → unix socket → an echo server: bytes go both ways, an end closes the other', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cloudlet-fwd-'));
  const echo = net.createServer((s) => s.pipe(s));
  const echoPort = await listen(echo);
  const sock = join(dir, 'a.sock');
  const inner = await forward(parseRule(`unix:${sock}=tcp:127.0.0.1:${echoPort}`).listen, parseRule(`unix:${sock}=tcp:127.0.0.1:${echoPort}`).connect);
  const outer = await forward({ kind: 'tcp', host: '127.0.0.1', port: 0 }, { kind: 'unix', path: sock });
  t.after(() => {
    for (const s of [echo, inner, outer]) s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal(statSync(sock).mode & 0o777, 0o600, 'the socket is the owner\'s only');
  const port = (outer.address() as net.AddressInfo).port;
  const client = net.connect(port, '127.0.0.1');
  const payload = Buffer.alloc(256 * 1024, 7);
  let got = 0;
  const done = new Promise<void>((resolve) => client.on('data', (b) => (got += b.length) >= payload.length && resolve()));
  client.write(payload);
  await done;
  assert.equal(got, payload.length);
  // the client's end reaches the echo server through both forwarders, whose end comes back
  const closed = new Promise((r) => client.on('close', r));
  client.end();
  await closed;
});

test('a forwarder to nothing closes the client instead of hanging; bad rules are refused', async (t) => {
  const outer = await forward({ kind: 'tcp', host: '127.0.0.1', port: 0 }, { kind: 'unix', path: '/nonexistent/x.sock' });
  t.after(() => outer.close());
  const client = net.connect((outer.address() as net.AddressInfo).port, '127.0.0.1');
  client.on('error', () => {});
  await new Promise((r) => client.on('close', r));
  assert.throws(() => parseRule('tcp:127.0.0.1:1'), /expected LISTEN=CONNECT/);
  assert.throws(() => parseRule('tcp:x=udp:y:1'), /not an endpoint/);
  assert.throws(() => parseRule('tcp:h:99999=unix:/x'), /not an endpoint/);
  assert.deepEqual(parseRule('tcp:[::1]:80=unix:/s'), { listen: { kind: 'tcp', host: '::1', port: 80 }, connect: { kind: 'unix', path: '/s' } });
});
