// The manifest formats this registry accepts, and what each references.
import { regError } from '../api/errors.js';
import { parseDigest, type Digest } from './digest.js';
import { decodeUtf8 } from '../../common/utf8.js';

export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

const IMAGE_TYPES = new Set<string>([MediaTypes.ociManifest, MediaTypes.dockerManifest]);
const INDEX_TYPES = new Set<string>([MediaTypes.ociIndex, MediaTypes.dockerList]);
export const MANIFEST_TYPES = new Set<string>([...IMAGE_TYPES, ...INDEX_TYPES]);

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ParsedManifest {
  mediaType: string;
  /** blobs the repository must hold (config, layers) */
  blobs: Digest[];
  /** manifests the repository must hold (index children) */
  children: Digest[];
  subject?: Descriptor;
  /** what the referrers API reports: artifactType, else an image's config media type */
  artifactType?: string;
  annotations?: Record<string, string>;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** the media type of a stored manifest: its own field, else what its shape says (OCI allows omitting it) */
export function sniffMediaType(m: Json): string {
  if (typeof m.mediaType === 'string' && m.mediaType) return m.mediaType;
  if (m.schemaVersion === 1) return MediaTypes.dockerSchema1Signed;
  if (Array.isArray(m.manifests)) return MediaTypes.ociIndex;
  return MediaTypes.ociManifest;
}

function descriptor(v: unknown, where: string): Descriptor & { parsed: Digest } {
  if (!isObject(v)) throw regError('MANIFEST_INVALID', { reason: `${where} is not a descriptor` });
  const parsed = typeof v.digest === 'string' ? parseDigest(v.digest) : undefined;
  if (!parsed) throw regError('MANIFEST_INVALID', { reason: `${where}: unsupported or malformed digest`, digest: v.digest });
  if (typeof v.mediaType !== 'string' || !Number.isSafeInteger(v.size) || (v.size as number) < 0) {
    throw regError('MANIFEST_INVALID', { reason: `${where}: mediaType and size are required` });
  }
  return { ...(v as unknown as Descriptor), parsed };
}

/** validates a pushed manifest; `contentType` is the request's Content-Type */
export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  // JSON is UTF-8 (RFC 8259): read as U+FFFD, a manifest's parsed content would differ from the bytes its digest covers
  const text = decodeUtf8(body);
  if (text === undefined) throw regError('MANIFEST_INVALID', { reason: 'not valid UTF-8' });
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw regError('MANIFEST_INVALID', { reason: 'not JSON' });
  }
  if (!isObject(m)) throw regError('MANIFEST_INVALID', { reason: 'not a JSON object' });
  if (m.schemaVersion !== 2) throw regError('MANIFEST_INVALID', { reason: 'only schemaVersion 2 manifests are accepted' });
  const ct = contentType?.split(';')[0].trim().toLowerCase();
  const declared = typeof m.mediaType === 'string' ? m.mediaType : undefined;
  if (declared && ct && MANIFEST_TYPES.has(ct) && declared !== ct) {
    throw regError('MANIFEST_INVALID', { reason: `mediaType ${declared} does not match Content-Type ${ct}` });
  }
  const mediaType = declared ?? (ct && MANIFEST_TYPES.has(ct) ? ct : sniffMediaType(m));
  if (!MANIFEST_TYPES.has(mediaType)) throw regError('MANIFEST_INVALID', { reason: `unsupported manifest media type ${mediaType}` });

  const out: ParsedManifest = { mediaType, blobs: [], children: [] };
  if (IMAGE_TYPES.has(mediaType)) {
    const config = descriptor(m.config, 'config');
    out.blobs.push(config.parsed);
    if (!Array.isArray(m.layers)) throw regError('MANIFEST_INVALID', { reason: 'layers must be an array' });
    m.layers.forEach((l, i) => {
      const d = descriptor(l, `layers[${i}]`);
      // non-distributable layers live elsewhere (their urls); distribution does not require them either
      if (!(Array.isArray(d.urls) && d.urls.length > 0)) out.blobs.push(d.parsed);
    });
    out.artifactType = typeof m.artifactType === 'string' ? m.artifactType : config.mediaType;
  } else {
    if (!Array.isArray(m.manifests)) throw regError('MANIFEST_INVALID', { reason: 'manifests must be an array' });
    m.manifests.forEach((c, i) => out.children.push(descriptor(c, `manifests[${i}]`).parsed));
    if (typeof m.artifactType === 'string') out.artifactType = m.artifactType;
  }
  if (m.subject !== undefined) {
    const { parsed: _p, ...subject } = descriptor(m.subject, 'subject');
    out.subject = subject;
  }
  if (isObject(m.annotations)) out.annotations = m.annotations as Record<string, string>;
  return out;
}

/** for manifests already stored: never throws, reports what the referrers API needs */
export function summarize(body: Buffer): { mediaType: string; subject?: string; artifactType?: string; annotations?: Record<string, string> } {
  try {
    const m = JSON.parse(body.toString('utf8')) as unknown;
    if (!isObject(m)) return { mediaType: 'application/octet-stream' };
    const mediaType = sniffMediaType(m);
    const subject = isObject(m.subject) && typeof m.subject.digest === 'string' ? m.subject.digest : undefined;
    const artifactType =
      typeof m.artifactType === 'string'
        ? m.artifactType
        : IMAGE_TYPES.has(mediaType) && isObject(m.config) && typeof m.config.mediaType === 'string'
          ? m.config.mediaType
          : undefined;
    const annotations = isObject(m.annotations) ? (m.annotations as Record<string, string>) : undefined;
    return { mediaType, subject, artifactType, annotations };
  } catch {
    return { mediaType: 'application/octet-stream' };
  }
}
