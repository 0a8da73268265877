// distribution's on-disk layout (registry/storage/paths.go), so a root written by
// distribution is served as it is, and the other way round. Link files hold the
// digest string ("sha256:<hex>"), as distribution writes them.
import type { Digest } from './digest.js';

export const ROOT = '/docker/registry/v2';
export const REPOSITORIES = `${ROOT}/repositories`;

export const blobsRoot = () => `${ROOT}/blobs`;
export const blobDir = (d: Digest) => `${ROOT}/blobs/${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}`;
export const blobDataPath = (d: Digest) => `${blobDir(d)}/data`;

/** `name` must have passed validateName: it becomes path segments */
export const repoPath = (name: string) => `${REPOSITORIES}/${name}`;

export const layersPath = (name: string) => `${repoPath(name)}/_layers`;
export const layerLinkDir = (name: string, d: Digest) => `${layersPath(name)}/${d.algorithm}/${d.hex}`;
export const layerLinkPath = (name: string, d: Digest) => `${layerLinkDir(name, d)}/link`;

export const manifestsPath = (name: string) => `${repoPath(name)}/_manifests`;
export const revisionsPath = (name: string) => `${manifestsPath(name)}/revisions`;
export const revisionLinkDir = (name: string, d: Digest) => `${revisionsPath(name)}/${d.algorithm}/${d.hex}`;
export const revisionLinkPath = (name: string, d: Digest) => `${revisionLinkDir(name, d)}/link`;

export const tagsPath = (name: string) => `${manifestsPath(name)}/tags`;
export const tagPath = (name: string, tag: string) => `${tagsPath(name)}/${tag}`;
export const tagCurrentLinkPath = (name: string, tag: string) => `${tagPath(name, tag)}/current/link`;
export const tagIndexLinkPath = (name: string, tag: string, d: Digest) =>
  `${tagPath(name, tag)}/index/${d.algorithm}/${d.hex}/link`;

export const uploadsPath = (name: string) => `${repoPath(name)}/_uploads`;
export const uploadPath = (name: string, id: string) => `${uploadsPath(name)}/${id}`;
export const uploadDataPath = (name: string, id: string) => `${uploadPath(name, id)}/data`;
export const uploadStartedAtPath = (name: string, id: string) => `${uploadPath(name, id)}/startedat`;

// The spec's grammar (distribution-spec "Pulling manifests").
const NAME_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** distribution's limit on a repository name */
export const MAX_NAME_LENGTH = 255;

export function isValidName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME_RE.test(name);
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/** upload ids are ours (UUIDs); anything else names no session */
export function isValidUploadId(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id);
}
