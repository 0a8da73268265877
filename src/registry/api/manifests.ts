// /v2/<name>/manifests/<tag-or-digest>: GET/HEAD with Accept negotiation, PUT, DELETE.
import type { FastifyRequest } from 'fastify';
import { digestString, looksLikeDigest, parseDigest } from '../storage/digest.js';
import { MediaTypes } from '../storage/manifest-types.js';
import type { Reference } from '../storage/manifests.js';
import { isValidTag } from '../storage/paths.js';
import { manifestLocation, requireDeleteEnabled, type Handler, type Route } from './context.js';
import { regError } from './errors.js';

/** the spec's limit a registry may enforce; pushes above it answer 413 */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** a tag, a digest, or (for an unusable tag) undefined: such a reference names nothing */
function parseReference(ref: string): Reference | undefined {
  if (looksLikeDigest(ref) || ref.includes(':')) {
    const digest = parseDigest(ref);
    if (!digest) throw regError('DIGEST_INVALID', { reference: ref });
    return { digest };
  }
  return isValidTag(ref) ? { tag: ref } : undefined;
}

/** OCI media types are served only to clients that accept them (as distribution does); Docker types always */
function acceptable(req: FastifyRequest, mediaType: string): boolean {
  if (mediaType !== MediaTypes.ociManifest && mediaType !== MediaTypes.ociIndex) return true;
  const accept = ([] as string[]).concat(req.headers.accept ?? []).join(',');
  if (!accept.trim()) return true;
  const types = accept.split(',').map((t) => t.split(';')[0].trim().toLowerCase());
  return types.some((t) => t === mediaType || t === '*/*' || t === 'application/*');
}

const getManifest: Handler = async (ctx, req, reply, m) => {
  const ref = parseReference(m.param);
  const manifest = ref && (await ctx.manifests.get(m.name, ref));
  if (!manifest) throw regError('MANIFEST_UNKNOWN', { name: m.name, reference: m.param });
  if (!acceptable(req, manifest.mediaType)) {
    throw regError('MANIFEST_UNKNOWN', { reason: `${manifest.mediaType} manifest found, but the Accept header does not allow it` });
  }
  const digest = digestString(manifest.digest);
  reply
    .header('Content-Type', manifest.mediaType)
    .header('Docker-Content-Digest', digest)
    .header('ETag', `"${digest}"`)
    .header('Content-Length', String(manifest.body.length));
  return reply.send(req.method === 'HEAD' ? undefined : manifest.body);
};

async function readManifestBody(req: FastifyRequest): Promise<Buffer> {
  const tooLarge = () => regError('MANIFEST_INVALID', { limit: MAX_MANIFEST_BYTES }, { status: 413, message: 'manifest too large' });
  if (Number(req.headers['content-length'] ?? 0) > MAX_MANIFEST_BYTES) {
    req.raw.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req.raw) {
    total += (chunk as Buffer).length;
    if (total > MAX_MANIFEST_BYTES) {
      req.raw.resume();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const putManifest: Handler = async (ctx, req, reply, m) => {
  const ref = parseReference(m.param);
  if (!ref) throw regError('TAG_INVALID', { tag: m.param });
  const extraTags = m.query.getAll('tag');
  for (const t of extraTags) if (!isValidTag(t)) throw regError('TAG_INVALID', { tag: t });
  const body = await readManifestBody(req);
  const { digest, subject } = await ctx.manifests.put(m.name, ref, body, req.headers['content-type']);
  for (const t of extraTags) await ctx.manifests.tag(m.name, t, digest);
  const d = digestString(digest);
  reply.code(201).header('Location', manifestLocation(m.name, d)).header('Docker-Content-Digest', d).header('Content-Length', '0');
  if (subject) reply.header('OCI-Subject', subject.digest);
  return reply.send();
};

/** by digest: the manifest and the tags on it; by tag: the tag alone (the spec's delete-a-tag) */
const deleteManifest: Handler = async (ctx, _req, reply, m) => {
  requireDeleteEnabled(ctx);
  const ref = parseReference(m.param);
  const deleted = ref && ('digest' in ref ? await ctx.manifests.deleteByDigest(m.name, ref.digest) : await ctx.manifests.deleteTag(m.name, ref.tag));
  if (!deleted) throw regError('MANIFEST_UNKNOWN', { name: m.name, reference: m.param });
  return reply.code(202).header('Content-Length', '0').send();
};

export const manifestRoutes: Route[] = [
  { pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/, methods: { GET: getManifest, HEAD: getManifest, PUT: putManifest, DELETE: deleteManifest } },
];
