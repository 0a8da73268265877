// A registry on 127.0.0.1:0 over a temp root, and a raw HTTP client (node:http,
// so paths like /v2/../x reach the server exactly as written).
import { createHash } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../../src/common/logging.js';
import { createRegistryServer, type RegistryOptions } from '../../src/registry/server.js';

export interface Running {
  app: FastifyInstance;
  port: number;
  root: string;
  close(): Promise<void>;
}

export async function tempRoot(): Promise<{ root: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'cloudlet-registry-'));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export async function startRegistry(root: string, opts: Partial<RegistryOptions> = {}): Promise<Running> {
  const app = await createRegistryServer({ rootDirectory: root, deleteEnabled: true, log: createLogger('silent'), ...opts });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { app, port, root, close: () => app.close() };
}

export interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json(): any;
}

/** a Readable body is streamed (chunked transfer unless Content-Length is set) */
export function request(port: number, method: string, path: string, body?: Buffer | string | Readable, headers: Record<string, string> = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, json: () => JSON.parse(b.toString('utf8')) });
      });
      res.on('error', reject);
    });
    if (body instanceof Readable) {
      req.on('error', (e) => {
        body.destroy();
        reject(e);
      });
      body.on('error', (e) => req.destroy(e));
      body.pipe(req);
      return;
    }
    req.on('error', reject);
    req.end(body);
  });
}

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
export const sha512 = (b: Buffer | string) => `sha512:${createHash('sha512').update(b).digest('hex')}`;

/** pushes a blob monolithically and asserts nothing; returns its digest */
export async function pushBlob(port: number, name: string, data: Buffer | string): Promise<string> {
  const d = sha256(data);
  const r = await request(port, 'POST', `/v2/${name}/blobs/uploads/?digest=${d}`, data, { 'Content-Type': 'application/octet-stream' });
  if (r.status !== 201) throw new Error(`push blob: ${r.status} ${r.body}`);
  return d;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** an image manifest over a pushed config and layer; returns body and digest */
export async function pushImage(port: number, name: string, tag: string, extra: Record<string, unknown> = {}, seed = 'x') {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
  const layer = Buffer.from(`layer-${seed}`);
  const configDigest = await pushBlob(port, name, config);
  const layerDigest = await pushBlob(port, name, layer);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    ...extra,
  }));
  const r = await request(port, 'PUT', `/v2/${name}/manifests/${tag}`, manifest, { 'Content-Type': OCI_MANIFEST });
  if (r.status !== 201) throw new Error(`push manifest: ${r.status} ${r.body}`);
  return { manifest, digest: sha256(manifest), configDigest, layerDigest, res: r };
}
