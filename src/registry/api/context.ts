// What every route handler gets: the stores, the settings, and the parsed route.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../common/logging.js';
import type { BlobStore } from '../storage/blobs.js';
import { parseDigest, type Digest } from '../storage/digest.js';
import type { StorageDriver } from '../storage/driver.js';
import type { ManifestStore } from '../storage/manifests.js';
import type { UploadStore } from '../storage/uploads.js';
import { regError } from './errors.js';

export interface RegistryContext {
  driver: StorageDriver;
  blobs: BlobStore;
  uploads: UploadStore;
  manifests: ManifestStore;
  deleteEnabled: boolean;
  log: Logger;
}

export interface RouteMatch {
  /** a validated repository name ('' for the routes that have none) */
  name: string;
  /** the last path segment the route captures (digest, reference, upload id), URL-decoded */
  param: string;
  query: URLSearchParams;
}

export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
export type Handler = (ctx: RegistryContext, req: FastifyRequest, reply: FastifyReply, m: RouteMatch) => Promise<unknown>;

export interface Route {
  /** matches the path; group 1 is the repository name, group 2 (if any) the parameter */
  pattern: RegExp;
  methods: Partial<Record<Method, Handler>>;
}

/** a digest from a URL or query; DIGEST_INVALID when absent, malformed or of an algorithm not supported */
export function requireDigest(s: string | null | undefined): Digest {
  const d = s ? parseDigest(s) : undefined;
  if (!d) throw regError('DIGEST_INVALID', { digest: s ?? null, reason: 'expected sha256:<64 hex> or sha512:<128 hex>' });
  return d;
}

export function requireDeleteEnabled(ctx: RegistryContext): void {
  if (!ctx.deleteEnabled) throw regError('UNSUPPORTED', { reason: 'deletion is disabled (storage.delete.enabled)' });
}

export const blobLocation = (name: string, digest: string) => `/v2/${name}/blobs/${digest}`;
export const uploadLocation = (name: string, id: string) => `/v2/${name}/blobs/uploads/${id}`;
export const manifestLocation = (name: string, ref: string) => `/v2/${name}/manifests/${ref}`;
