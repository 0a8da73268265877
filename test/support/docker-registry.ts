// The reference registry (CNCF distribution 2.8, Debian's docker-registry) on loopback,
// over a given storage root directory, for side-by-side compatibility tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { requireTool } from './backends.js';

export interface ReferenceRegistry {
  port: number;
  pid: number;
  /** the registry's stdout and stderr */
  log(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function ping(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/v2/', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

/**
 * Starts `docker-registry serve` on 127.0.0.1 with `rootDirectory` as its filesystem storage
 * root (the directory holding docker/registry/v2), deletes enabled, no blob descriptor cache
 * (so that what another server writes into the same root is seen at once).
 * `workDir` receives config.yml and registry.log.
 */
export async function startDockerRegistry(rootDirectory: string, workDir: string, timeoutMs = 10_000): Promise<ReferenceRegistry> {
  requireTool('docker-registry', 'docker-registry');
  // REGISTRY_* variables would override the config file
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('REGISTRY_')) env[k] = v;
  const logPath = join(workDir, 'registry.log');
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const config = join(workDir, 'config.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log: {level: warn, accesslog: {disabled: true}}',
        'storage:',
        `  filesystem: {rootdirectory: ${JSON.stringify(rootDirectory)}}`,
        '  delete: {enabled: true}',
        `http: {addr: "127.0.0.1:${port}", secret: cloudlet-compat-test}`,
        '',
      ].join('\n'),
    );
    const fd = openSync(logPath, 'w');
    const child = spawn('docker-registry', ['serve', config], { env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const log = () => readFileSync(logPath, 'utf8');
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited(child);
      clearTimeout(t);
    };
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      if ((await ping(port)) === 200) return { port, pid: child.pid ?? 0, log, stop };
      await new Promise((r) => setTimeout(r, 100));
    }
    await stop();
    lastError = log();
    // a port taken between freePort() and the registry's bind: try another one
    if (!/address already in use/.test(lastError)) break;
  }
  throw new Error(`docker-registry did not answer on 127.0.0.1 within ${timeoutMs} ms; its log:\n${lastError}`);
}
