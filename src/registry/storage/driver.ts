// The storage driver interface, after distribution's storagedriver.StorageDriver:
// a handful of path-addressed operations, every registry feature written once above it.
// Paths are absolute slash-separated strings ("/docker/registry/v2/..."), never OS paths.
import type { Readable } from 'node:stream';

export interface FileInfo {
  path: string;
  size: number;
  modTime: Date;
  isDir: boolean;
}

/**
 * What one step of a request must make durable (files written in place, directories
 * whose entries changed), fsync'd together by flush(): their fsyncs run at once and
 * join one journal commit, instead of one after the other. A batch belongs to the
 * driver that made it.
 */
export interface SyncBatch {
  flush(): Promise<void>;
}

export interface FileWriter {
  /** bytes in the file so far, including what an appending writer started from */
  size(): number;
  write(chunk: Buffer): Promise<void>;
  /** make what was written so far durable now, so that a commit after it has only its rename left to do */
  sync(): Promise<void>;
  /**
   * make the content durable (and, for a new file, visible); with a batch, the
   * directory entry of a new file is made durable by the batch's flush
   */
  commit(batch?: SyncBatch): Promise<void>;
  /** drop what this writer wrote: a new file vanishes, an appended one is cut back to where it began */
  cancel(): Promise<void>;
}

export interface StorageDriver {
  readonly name: string;
  getContent(path: string): Promise<Buffer>;
  /** replaces the file atomically (content fsync'd before the rename); with a batch, the rename is made durable by its flush */
  putContent(path: string, content: Buffer | string, batch?: SyncBatch): Promise<void>;
  /**
   * For content that follows from the path alone (a link file naming the digest that
   * is part of its own path): kept when it already holds `content`, otherwise written
   * in place, without a temp file and a rename. A reader may meet the file empty or
   * short while it is written, or after a crash, and must take that for absent; the
   * next put rewrites it. Durable once the batch is flushed.
   */
  putDerived(path: string, content: string, batch: SyncBatch): Promise<void>;
  /**
   * Written in place and never fsync'd: only for state whose loss in a power failure
   * loses nothing the registry acknowledged (an upload session's start time before
   * any byte of it was accepted).
   */
  putTransient(path: string, content: string): Promise<void>;
  batch(): SyncBatch;
  /** the file or directory at `path` is fsync'd when the batch is flushed (content another request may not have flushed yet) */
  syncLater(path: string, batch: SyncBatch): void;
  /** bytes [offset, end] (end inclusive, default: to the end of the file) */
  reader(path: string, offset?: number, end?: number): Promise<Readable>;
  /** append=false: a new file, visible only on commit; append=true: continues the existing file */
  writer(path: string, append: boolean): Promise<FileWriter>;
  stat(path: string): Promise<FileInfo>;
  /** full paths of the direct children of a directory */
  list(path: string): Promise<string[]>;
  /** atomic within one driver; replaces an existing destination; with a batch, durable once it is flushed */
  move(source: string, dest: string, batch?: SyncBatch): Promise<void>;
  /** removes a file or a whole directory tree */
  delete(path: string): Promise<void>;
  /** depth-first, children in lexical order; return false from fn to skip a directory's children */
  walk(path: string, fn: (info: FileInfo) => Promise<boolean | void> | boolean | void): Promise<void>;
  /**
   * what writers killed before their commit left behind (list and walk never show it),
   * last modified before `before`; delete() removes it
   */
  abandonedTempFiles(before: Date): Promise<FileInfo[]>;
  /** removes the directory `path`, then its parents up to (not including) `stop`, each only while it is empty */
  deleteEmptyDirectories(path: string, stop: string): Promise<void>;
}

export class PathNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`path not found: ${path}`);
  }
}

export class InvalidPathError extends Error {
  constructor(readonly path: string) {
    super(`invalid path: ${JSON.stringify(path)}`);
  }
}

export function isNotFound(e: unknown): e is PathNotFoundError {
  return e instanceof PathNotFoundError;
}
