// n/last pagination with RFC 5988 Link headers, shared by tags/list and _catalog.
import type { FastifyReply } from 'fastify';
import { regError } from './errors.js';

/** `sorted` must be in lexical order; sets Link when more entries follow */
export function paginate(sorted: string[], query: URLSearchParams, path: string, reply: FastifyReply): string[] {
  const nRaw = query.get('n');
  const last = query.get('last');
  let n: number | undefined;
  if (nRaw !== null && nRaw !== '') {
    if (!/^\d{1,9}$/.test(nRaw)) throw regError('PAGINATION_NUMBER_INVALID', { n: nRaw });
    n = Number(nRaw);
  }
  const after = last ? sorted.filter((s) => s > last) : sorted;
  if (n === undefined) return after;
  const page = after.slice(0, n);
  if (n > 0 && after.length > n) {
    const next = new URLSearchParams({ last: page[page.length - 1], n: String(n) });
    reply.header('Link', `<${path}?${next.toString()}>; rel="next"`);
  }
  return page;
}
