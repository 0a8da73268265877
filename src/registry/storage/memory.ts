// Keeping the resident set flat while blobs stream through.
//
// Every socket read and every file read hands over a fresh Buffer; each is dead a
// moment later, but its memory lives outside the JS heap and V8 frees it only when a
// young-generation collection runs, and what triggers one is the JS heap filling, not
// the bytes held outside it. A 1 GiB upload or download therefore piles up tens of MiB
// of dead buffers between collections. A scavenge every few MiB streamed frees them:
// it costs well under a millisecond (the young generation is small) and keeps the
// registry's RSS flat whatever the size of the blob.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** bytes streamed between two young-generation collections */
const COLLECT_EVERY_BYTES = 4 * 1024 * 1024;

type Gc = (opts?: { type?: 'major' | 'minor' }) => void;

function obtainGc(): Gc | undefined {
  const existing = (globalThis as { gc?: Gc }).gc;
  if (typeof existing === 'function') return existing;
  try {
    // exposes gc in a fresh context only: the global scope stays as it was
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as Gc) : undefined;
  } catch {
    return undefined;
  }
}

const gc = obtainGc();
let pending = 0;

/** to be called with the size of every chunk streamed between a socket and the disk */
export function streamed(bytes: number): void {
  if (!gc) return;
  pending += bytes;
  if (pending < COLLECT_EVERY_BYTES) return;
  pending = 0;
  gc({ type: 'minor' });
}
