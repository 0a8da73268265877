// Blob uploads: POST (session, monolithic ?digest=, cross-repository ?mount=&from=),
// PATCH chunks with Content-Range, PUT to complete, GET status, DELETE to cancel.
// Bodies are read from the raw request stream: nothing is buffered whole.
import type { FastifyReply } from 'fastify';
import { digestString } from '../storage/digest.js';
import { isValidName, isValidUploadId } from '../storage/paths.js';
import { rangeHeader, type ChunkRange } from '../storage/uploads.js';
import { blobLocation, requireDigest, uploadLocation, type Handler, type Route } from './context.js';
import { RegistryError, regError } from './errors.js';

/** "<start>-<end>" (some clients prefix "bytes=" or "bytes "); RANGE_INVALID when malformed */
function parseContentRange(header: string | undefined): ChunkRange | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!m || Number(m[2]) < Number(m[1])) throw regError('RANGE_INVALID', { contentRange: header });
  return { start: Number(m[1]), end: Number(m[2]) };
}

function sessionHeaders(reply: FastifyReply, name: string, id: string, size: number): FastifyReply {
  return reply
    .header('Location', uploadLocation(name, id))
    .header('Range', rangeHeader(size))
    .header('Docker-Upload-UUID', id)
    .header('Content-Length', '0');
}

function requireSession(id: string): void {
  if (!isValidUploadId(id)) throw regError('BLOB_UPLOAD_UNKNOWN', { uuid: id });
}

/** a 416 for a session also says where the session is, as the spec asks */
async function withSessionErrors<T>(name: string, id: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RegistryError && e.code === 'RANGE_INVALID') {
      e.headers.Location = uploadLocation(name, id);
      e.headers['Docker-Upload-UUID'] = id;
    }
    throw e;
  }
}

const startUpload: Handler = async (ctx, req, reply, m) => {
  const mount = m.query.get('mount');
  const from = m.query.get('from');
  if (mount && from) {
    const d = requireDigest(mount);
    if (!isValidName(from)) throw regError('NAME_INVALID', { name: from });
    if ((await ctx.blobs.linkedSize(from, d)) !== undefined) {
      await ctx.blobs.link(m.name, d);
      req.raw.resume();
      return reply.code(201).header('Location', blobLocation(m.name, mount)).header('Docker-Content-Digest', mount).header('Content-Length', '0').send();
    }
    // not mountable: an ordinary session, as the spec says
  }
  const digestParam = m.query.get('digest');
  if (digestParam !== null) {
    const d = requireDigest(digestParam);
    await ctx.uploads.putWhole(m.name, d, req.raw);
    const digest = digestString(d);
    return reply.code(201).header('Location', blobLocation(m.name, digest)).header('Docker-Content-Digest', digest).header('Content-Length', '0').send();
  }
  req.raw.resume();
  const id = await ctx.uploads.start(m.name);
  return sessionHeaders(reply.code(202), m.name, id, 0).send();
};

const patchUpload: Handler = async (ctx, req, reply, m) => {
  requireSession(m.param);
  const range = parseContentRange(req.headers['content-range']);
  const size = await withSessionErrors(m.name, m.param, () => ctx.uploads.append(m.name, m.param, req.raw, range));
  return sessionHeaders(reply.code(202), m.name, m.param, size).send();
};

const completeUpload: Handler = async (ctx, req, reply, m) => {
  requireSession(m.param);
  const d = requireDigest(m.query.get('digest'));
  const range = parseContentRange(req.headers['content-range']);
  await withSessionErrors(m.name, m.param, () => ctx.uploads.complete(m.name, m.param, d, req.raw, range));
  const digest = digestString(d);
  return reply.code(201).header('Location', blobLocation(m.name, digest)).header('Docker-Content-Digest', digest).header('Content-Length', '0').send();
};

const uploadStatus: Handler = async (ctx, _req, reply, m) => {
  requireSession(m.param);
  const size = await ctx.uploads.status(m.name, m.param);
  return sessionHeaders(reply.code(204), m.name, m.param, size).send();
};

const cancelUpload: Handler = async (ctx, _req, reply, m) => {
  requireSession(m.param);
  await ctx.uploads.cancel(m.name, m.param);
  return reply.code(204).header('Content-Length', '0').send();
};

export const uploadRoutes: Route[] = [
  { pattern: /^\/v2\/(.+)\/blobs\/uploads\/?$/, methods: { POST: startUpload } },
  {
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
    methods: { PATCH: patchUpload, PUT: completeUpload, GET: uploadStatus, DELETE: cancelUpload },
  },
];
