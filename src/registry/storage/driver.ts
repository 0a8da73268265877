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

export interface FileWriter {
  /** bytes in the file so far, including what an appending writer started from */
  size(): number;
  write(chunk: Buffer): Promise<void>;
  /** make the content durable (and, for a new file, visible) */
  commit(): Promise<void>;
  /** drop what this writer wrote: a new file vanishes, an appended one is cut back to where it began */
  cancel(): Promise<void>;
}

export interface StorageDriver {
  readonly name: string;
  getContent(path: string): Promise<Buffer>;
  /** replaces the file atomically */
  putContent(path: string, content: Buffer | string): Promise<void>;
  /** bytes [offset, end] (end inclusive, default: to the end of the file) */
  reader(path: string, offset?: number, end?: number): Promise<Readable>;
  /** append=false: a new file, visible only on commit; append=true: continues the existing file */
  writer(path: string, append: boolean): Promise<FileWriter>;
  stat(path: string): Promise<FileInfo>;
  /** full paths of the direct children of a directory */
  list(path: string): Promise<string[]>;
  /** atomic within one driver; replaces an existing destination */
  move(source: string, dest: string): Promise<void>;
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
