// One dispatcher for /v2/*: repository names hold slashes, so routes are matched
// here on the raw path, and the name is validated before any handler (or any
// storage path) sees it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isValidName } from '../storage/paths.js';
import type { Method, RegistryContext, Route } from './context.js';
import { regError } from './errors.js';

export function dispatcher(ctx: RegistryContext, routes: Route[]) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
    for (const route of routes) {
      const found = route.pattern.exec(path);
      if (!found) continue;
      const name = found[1] ?? '';
      if (found[1] !== undefined && !isValidName(name)) throw regError('NAME_INVALID', { name });
      const handler = route.methods[req.method as Method];
      if (!handler) throw regError('UNSUPPORTED', { method: req.method, path });
      let param = found[2] ?? '';
      try {
        param = decodeURIComponent(param);
      } catch {
        // left as sent: it will not parse as a digest, tag or upload id
      }
      return handler(ctx, req, reply, { name, param, query });
    }
    throw regError('NAME_UNKNOWN', { path }, { status: 404, message: 'no such endpoint' });
  };
}
