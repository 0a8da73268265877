// GET/HEAD/DELETE /v2/<name>/blobs/<digest>: streamed from disk, single byte ranges answered 206.
import { digestString } from '../storage/digest.js';
import { requireDeleteEnabled, requireDigest, type Handler, type Route } from './context.js';
import { regError } from './errors.js';

/** the one byte range a Range header asks for; undefined to serve the whole blob (absent, multi-range or not bytes) */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const unsatisfiable = () => regError('RANGE_INVALID', { range: header, size }, { headers: { 'Content-Range': `bytes */${size}` } });
  if (m[1] === '') {
    // suffix range: the last N bytes
    const n = Number(m[2]);
    if (n === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(size - n, 0), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || (m[2] !== '' && Number(m[2]) < start)) throw unsatisfiable();
  return { start, end };
}

const fetchBlob: Handler = async (ctx, req, reply, m) => {
  const d = requireDigest(m.param);
  const size = await ctx.blobs.linkedSize(m.name, d);
  if (size === undefined) throw regError('BLOB_UNKNOWN', { digest: m.param });
  const digest = digestString(d);
  reply
    .header('Docker-Content-Digest', digest)
    .header('ETag', `"${digest}"`)
    .header('Accept-Ranges', 'bytes')
    .header('Cache-Control', 'max-age=31536000')
    .header('Content-Type', 'application/octet-stream');
  const range = parseRange(req.headers.range, size);
  let start = 0;
  let end = size - 1;
  if (range) {
    ({ start, end } = range);
    reply.code(206).header('Content-Range', `bytes ${start}-${end}/${size}`);
  }
  reply.header('Content-Length', String(end - start + 1));
  if (req.method === 'HEAD' || end < start) return reply.send();
  return reply.send(await ctx.blobs.open(d, start, end));
};

const deleteBlob: Handler = async (ctx, _req, reply, m) => {
  requireDeleteEnabled(ctx);
  const d = requireDigest(m.param);
  if (!(await ctx.blobs.unlink(m.name, d))) throw regError('BLOB_UNKNOWN', { digest: m.param });
  return reply.code(202).header('Docker-Content-Digest', digestString(d)).header('Content-Length', '0').send();
};

export const blobRoutes: Route[] = [
  { pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/, methods: { GET: fetchBlob, HEAD: fetchBlob, DELETE: deleteBlob } },
];
