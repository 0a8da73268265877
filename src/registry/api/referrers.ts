// GET /v2/<name>/referrers/<digest>[?artifactType=]: an OCI image index of the
// manifests whose subject is <digest>; never 404 for a well-formed request.
import { MediaTypes } from '../storage/manifest-types.js';
import { requireDigest, type Handler, type Route } from './context.js';

const listReferrers: Handler = async (ctx, _req, reply, m) => {
  const subject = requireDigest(m.param);
  const artifactType = m.query.get('artifactType') ?? undefined;
  const manifests = await ctx.manifests.referrers(m.name, subject, artifactType);
  if (artifactType !== undefined) reply.header('OCI-Filters-Applied', 'artifactType');
  const body = JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests });
  return reply.header('Content-Type', MediaTypes.ociIndex).send(Buffer.from(body));
};

export const referrerRoutes: Route[] = [{ pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/, methods: { GET: listReferrers } }];
