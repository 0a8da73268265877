// The registry load, identical for cloudlet and the reference registry: a keep-alive client on node:http
// (wrk and autocannon hang on HEAD answers that carry a Content-Length), streamed blob push and pull,
// small image pushes; the request-rate loops are http.ts's rateLoop, which a RegistryClient reports to.
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, fsyncSync, openSync } from 'node:fs';
import http from 'node:http';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

import { CountingClient } from './http.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
/** what a pulling client sends (podman and skopeo send a longer list in the same spirit) */
export const MANIFEST_ACCEPT = [
  OCI_MANIFEST,
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string; // the body, for small answers only ('' when discarded)
  bytes: number; // body bytes received
  sha256?: string; // hex digest of the body, with `hash`
}

export interface SendOptions {
  headers?: Record<string, string | number>;
  body?: Buffer | string | Readable;
  hash?: boolean; // hash the body and discard it instead of keeping it
  timeoutMs?: number;
}

/** The registry benchmark's client: streamed and hashed bodies; counts answers as every CountingClient does. */
export class RegistryClient extends CountingClient {
  constructor(url: string, sockets = 8) {
    super(url, sockets, 70);
  }

  /** path may be absolute (distribution answers absolute Locations). */
  send(method: string, path: string, o: SendOptions = {}): Promise<Answer> {
    const target = new URL(path, this.base);
    const timeoutMs = o.timeoutMs ?? 60_000;
    const headers: Record<string, string | number> = { ...o.headers };
    if (o.body === undefined && (method === 'PUT' || method === 'POST' || method === 'PATCH')) headers['Content-Length'] = 0;
    if (typeof o.body === 'string' || Buffer.isBuffer(o.body)) headers['Content-Length'] = Buffer.byteLength(o.body);
    return new Promise<Answer>((resolve) => {
      let settled = false;
      const done = (a: Answer): void => {
        if (settled) return;
        settled = true;
        this.record(method, target.pathname, a.status, a.text);
        resolve(a);
      };
      const fail = (e: unknown): void => done({ status: 0, headers: {}, text: String(e), bytes: 0 });
      const req = http.request(
        { host: target.hostname, port: target.port, method, path: target.pathname + target.search, headers, agent: this.agent },
        (res) => {
          const hash = o.hash ? createHash('sha256') : undefined;
          const chunks: Buffer[] = [];
          let bytes = 0;
          res.on('data', (c: Buffer) => {
            bytes += c.length;
            if (hash) hash.update(c);
            else if (bytes <= 1 << 20) chunks.push(c);
          });
          res.on('end', () =>
            done({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
              bytes,
              sha256: hash?.digest('hex'),
            }),
          );
          res.on('error', fail);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
      req.on('error', fail);
      const body = o.body;
      if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (e) => req.destroy(e));
        body.pipe(req);
      }
    });
  }
}

const ok = (a: Answer): boolean => a.status >= 200 && a.status < 300;

export interface LayerFile {
  path: string;
  size: number;
  digest: string; // sha256:<hex>
}

/** Writes `mib` MiB of random data to `path` 1 MiB at a time (never more in memory), hashing it on the way. */
export async function makeLayerFile(path: string, mib: number): Promise<LayerFile> {
  const out = createWriteStream(path);
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(1 << 20);
  for (let i = 0; i < mib; i++) {
    randomFillSync(chunk);
    hash.update(chunk);
    // write() copies nothing: wait for the chunk to be flushed before refilling it
    await new Promise<void>((resolve, reject) => out.write(chunk, (e) => (e ? reject(e) : resolve())));
  }
  out.end();
  await finished(out);
  // on disk before any server runs: the servers' own fsyncs must not pay for flushing it
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { path, size: mib << 20, digest: `sha256:${hash.digest('hex')}` };
}

/**
 * Pushes one blob as docker and skopeo do for a layer whose digest they know: POST an upload session,
 * then PUT the whole body to its Location with ?digest= (monolithic POST+PUT). true on 201.
 */
export async function pushBlob(
  c: RegistryClient,
  repo: string,
  digest: string,
  body: Buffer | string | (() => Readable),
  size: number,
  timeoutMs = 60_000,
): Promise<boolean> {
  const start = await c.send('POST', `/v2/${repo}/blobs/uploads/`, { timeoutMs });
  const location = start.headers.location;
  if (start.status !== 202 || !location) {
    if (ok(start)) c.fault(`POST /v2/${repo}/blobs/uploads/ -> ${start.status} without a session Location`);
    return false;
  }
  const put = new URL(location, c.base);
  put.searchParams.set('digest', digest);
  const a = await c.send('PUT', put.pathname + put.search, {
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': size },
    body: typeof body === 'function' ? body() : body,
    timeoutMs,
  });
  if (a.status === 201 && a.headers['docker-content-digest'] !== digest) {
    c.fault(`PUT blob ${digest.slice(0, 19)}…: Docker-Content-Digest ${String(a.headers['docker-content-digest'])}`);
    return false;
  }
  return a.status === 201;
}

export interface Transfer {
  ok: boolean;
  seconds: number;
  bytes: number;
}

/** Streams the layer file into the registry. */
export async function pushLayer(c: RegistryClient, repo: string, layer: LayerFile, timeoutMs: number): Promise<Transfer> {
  const t0 = performance.now();
  const done = await pushBlob(c, repo, layer.digest, () => createReadStream(layer.path, { highWaterMark: 1 << 20 }), layer.size, timeoutMs);
  return { ok: done, seconds: (performance.now() - t0) / 1000, bytes: done ? layer.size : 0 };
}

/** GETs the layer, hashing it as it arrives and discarding it; ok when size and sha256 match. */
export async function pullLayer(c: RegistryClient, repo: string, layer: LayerFile, timeoutMs: number): Promise<Transfer> {
  const t0 = performance.now();
  const a = await c.send('GET', `/v2/${repo}/blobs/${layer.digest}`, { hash: true, timeoutMs });
  const seconds = (performance.now() - t0) / 1000;
  if (!ok(a)) return { ok: false, seconds, bytes: a.bytes };
  if (a.bytes !== layer.size || `sha256:${a.sha256}` !== layer.digest) {
    c.fault(`GET blob ${layer.digest.slice(0, 19)}…: got ${a.bytes} bytes with sha256:${a.sha256?.slice(0, 12)}…`);
    return { ok: false, seconds, bytes: a.bytes };
  }
  return { ok: true, seconds, bytes: a.bytes };
}

const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** An OCI image manifest over a config and layers, as pushed by `skopeo copy` of an OCI layout. */
export function imageManifest(config: { digest: string; size: number }, layers: { digest: string; size: number }[]): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: OCI_LAYER, digest: l.digest, size: l.size })),
  });
}

export function imageConfig(diffIds: string[], note: string): string {
  return JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created: new Date().toISOString(),
    config: { Env: [`BENCH=${note}`] },
    rootfs: { type: 'layers', diff_ids: diffIds },
  });
}

/** PUT a manifest under `ref`; true on 201 with the right digest. */
export async function pushManifest(c: RegistryClient, repo: string, ref: string, manifest: string): Promise<boolean> {
  const a = await c.send('PUT', `/v2/${repo}/manifests/${ref}`, { headers: { 'Content-Type': OCI_MANIFEST }, body: manifest });
  if (a.status !== 201) return false;
  const want = sha256(manifest);
  if (a.headers['docker-content-digest'] !== want) {
    c.fault(`PUT manifest ${repo}:${ref}: Docker-Content-Digest ${String(a.headers['docker-content-digest'])}, expected ${want}`);
    return false;
  }
  return true;
}

/** Config + layer + manifest for a layer already in `repo`: what a pushed image needs besides its layers. */
export async function pushImageFor(c: RegistryClient, repo: string, tag: string, layer: { digest: string; size: number }): Promise<boolean> {
  const config = imageConfig([layer.digest], `${repo}:${tag}`);
  const cd = sha256(config);
  if (!(await pushBlob(c, repo, cd, config, Buffer.byteLength(config)))) return false;
  return pushManifest(c, repo, tag, imageManifest({ digest: cd, size: Buffer.byteLength(config) }, [layer]));
}

export interface ImagePushes {
  requested: number;
  pushed: number; // images whose config, layer and manifest were all accepted
  requests: number;
  seconds: number;
  truncated: boolean; // stopped by the deadline
}

/**
 * `count` small images (a unique JSON config, one unique random layer of `layerBytes`, an OCI manifest under
 * tag i<n>), each pushed blob by blob (POST+PUT), then its manifest, on `concurrency` workers.
 */
export async function pushSmallImages(
  c: RegistryClient,
  repo: string,
  count: number,
  layerBytes: number,
  concurrency: number,
  deadlineMs: number,
): Promise<ImagePushes> {
  let next = 0;
  let pushed = 0;
  const before = c.ok + c.errors;
  const deadline = Date.now() + deadlineMs;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count && Date.now() < deadline) {
      const i = next++;
      const layer = randomBytes(layerBytes);
      const ld = { digest: sha256(layer), size: layerBytes };
      if (!(await pushBlob(c, repo, ld.digest, layer, layerBytes))) continue;
      if (await pushImageFor(c, repo, `i${i}`, ld)) pushed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { requested: count, pushed, requests: c.ok + c.errors - before, seconds: (performance.now() - t0) / 1000, truncated: next < count };
}
