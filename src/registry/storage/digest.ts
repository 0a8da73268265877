// Content digests: the algorithms this registry verifies, and their grammar.
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';

export type Algorithm = 'sha256' | 'sha512';

export interface Digest {
  algorithm: Algorithm;
  hex: string;
}

const HEX_LENGTH: Record<Algorithm, number> = { sha256: 64, sha512: 128 };

/** the digest in `s`, or undefined when it is not a sha256/sha512 digest in canonical (lower-case hex) form */
export function parseDigest(s: string): Digest | undefined {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(s);
  if (!m) return undefined;
  const algorithm = m[1] as Algorithm;
  return m[2].length === HEX_LENGTH[algorithm] ? { algorithm, hex: m[2] } : undefined;
}

/** the OCI grammar of a digest, whatever the algorithm: what a reference is when it is not a tag */
export function looksLikeDigest(s: string): boolean {
  return /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(s);
}

export function digestString(d: Digest): string {
  return `${d.algorithm}:${d.hex}`;
}

export function digestOf(algorithm: Algorithm, data: Buffer): Digest {
  return { algorithm, hex: createHash(algorithm).update(data).digest('hex') };
}

export function newHash(algorithm: Algorithm): Hash {
  return createHash(algorithm);
}

export async function digestStream(algorithm: Algorithm, stream: Readable): Promise<Digest> {
  const h = createHash(algorithm);
  for await (const chunk of stream) h.update(chunk as Buffer);
  return { algorithm, hex: h.digest('hex') };
}
