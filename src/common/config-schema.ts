// A configuration's shape, declared once: each option's type and default. The
// TypeScript type, the defaults, the check of a YAML file, environment
// variables and flags all derive from it, so a key cannot be known to one and
// not to the others. A fleet of hosts is configured by hand: a misspelt key or a
// value of the wrong type is an error naming it, never silently ignored.

export interface Field<T> {
  readonly field: true;
  /** what the error says is expected: "a number", "one of keystone, noauth" */
  readonly expected: string;
  readonly default: () => T;
  check(v: unknown): boolean;
  /** an environment variable's text as this option's value (left as text when it is not one, for check to refuse) */
  fromText(raw: string): unknown;
}

export type Shape = { readonly [key: string]: Field<unknown> | Shape };

export type Infer<S> = S extends Field<infer T> ? T : { -readonly [K in keyof S]: Infer<S[K]> };

type Plain = Record<string, unknown>;
export const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);
const isField = (v: Field<unknown> | Shape): v is Field<unknown> => (v as Field<unknown>).field === true;

function field<T>(expected: string, dflt: T | (() => T), check: (v: unknown) => boolean, fromText: (raw: string) => unknown = (raw) => raw): Field<T> {
  const def = typeof dflt === 'function' ? (dflt as () => T) : () => structuredClone(dflt);
  return { field: true, expected, default: def, check, fromText };
}

const numberText = (raw: string): unknown => (raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw);

export const option = {
  string: (dflt: string | (() => string)) => field<string>('a string', dflt, (v) => typeof v === 'string'),
  /** a name, a path, a URL: given means not empty */
  nonEmpty: (dflt: string) => field<string>('a non-empty string', dflt, (v) => typeof v === 'string' && v !== ''),
  number: (dflt: number) => field<number>('a number', dflt, (v) => typeof v === 'number' && Number.isFinite(v), numberText),
  positive: (dflt: number) => field<number>('a positive number', dflt, (v) => typeof v === 'number' && Number.isFinite(v) && v > 0, numberText),
  /** an integer in [min, max] */
  integer: (dflt: number, min = -Infinity, max = Infinity) =>
    field<number>(
      min === -Infinity && max === Infinity ? 'an integer' : max === Infinity ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`,
      dflt,
      (v) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max,
      numberText,
    ),
  port: (dflt: number) => field<number>('a port number (0-65535)', dflt, (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535, numberText),
  boolean: (dflt: boolean) =>
    field<boolean>('true or false', dflt, (v) => typeof v === 'boolean', (raw) => (/^(1|true|yes|on)$/i.test(raw) ? true : /^(0|false|no|off)$/i.test(raw) ? false : raw)),
  /** in the environment: comma-separated */
  strings: (dflt: string[]) =>
    field<string[]>('a list of strings', dflt, (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'), (raw) => raw.split(',').map((s) => s.trim()).filter(Boolean)),
  /** names to names (physnet1: eth1) */
  mapping: (dflt: Record<string, string>) =>
    field<Record<string, string>>('a mapping of strings', dflt, (v) => isPlain(v) && Object.values(v).every((x) => typeof x === 'string' && x !== '')),
  oneOf: <const T extends readonly string[]>(values: T, dflt: T[number]) =>
    field<T[number]>(`one of ${values.join(', ')}`, dflt, (v) => values.includes(v as string)),
  /** absent unless given: given, it must be a value of `inner` */
  optional: <T>(inner: Field<T>) => field<T | undefined>(inner.expected, () => undefined, (v) => inner.check(v), inner.fromText),
  /** null (`~` or empty in YAML, an empty variable) is a value of its own, e.g. "use default_quota" */
  nullable: <T>(inner: Field<T>, dflt: T | null = null) =>
    field<T | null>(`${inner.expected} or null`, dflt, (v) => v === null || inner.check(v), (raw) => (raw === '' ? null : inner.fromText(raw))),
};

/** an option a check found wrong: where (path) and what */
export class ConfigProblem extends Error {
  constructor(
    readonly path: string[],
    readonly problem: string,
    /** for an unknown key: the known key (its full path when it belongs elsewhere) meant, if one is close */
    readonly suggestion?: string[],
  ) {
    super(path.length ? `${path.join('.')}: ${problem}` : problem);
  }
}

export function defaultsOf<S extends Shape>(shape: S): Infer<S> {
  const out: Plain = {};
  for (const [k, v] of Object.entries(shape)) out[k] = isField(v) ? v.default() : defaultsOf(v);
  return out as Infer<S>;
}

/** every option's and section's path */
function paths(shape: Shape, at: string[] = []): string[][] {
  return Object.entries(shape).flatMap(([k, v]) => [[...at, k], ...(isField(v) ? [] : paths(v, [...at, k]))]);
}

/** Optimal string alignment distance: a swap of two letters counts once. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** the known key closest to `key` at this level, else the same key in another section */
export function suggest(root: Shape, at: string[], key: string): string[] | undefined {
  let level: Shape = root;
  for (const k of at) level = level[k] as Shape;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 4)) + 1;
  for (const known of Object.keys(level)) {
    const d = distance(key.toLowerCase(), known);
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  if (best !== undefined) return [best];
  const elsewhere = paths(root).filter((p) => p[p.length - 1] === key);
  return elsewhere.length === 1 ? elsewhere[0] : undefined;
}

/** checks a document (YAML's parse, or the environment's overrides) against the shape; throws a ConfigProblem */
export function checkAgainst(root: Shape, doc: unknown, at: string[] = []): void {
  let level: Shape = root;
  for (const k of at) level = level[k] as Shape;
  // `section:` with every key commented out is YAML's null: an empty section
  if (doc === null || doc === undefined) return;
  if (!isPlain(doc)) throw new ConfigProblem(at, `expected a mapping${at.length ? '' : ' at the top level'}, got ${JSON.stringify(doc)}`);
  for (const [key, value] of Object.entries(doc)) {
    const decl = level[key];
    if (decl === undefined) {
      const meant = suggest(root, at, key);
      const hint = meant === undefined ? '' : ` (did you mean ${meant.length === 1 ? meant[0] : meant.join('.')}?)`;
      throw new ConfigProblem([...at, key], `unknown key${hint}`, meant);
    }
    if (!isField(decl)) checkAgainst(root, value, [...at, key]);
    else if (!decl.check(value)) throw new ConfigProblem([...at, key], `expected ${decl.expected}, got ${JSON.stringify(value)}`);
  }
}

/** the option (or section) at `path`, if the shape has one */
export function declared(root: Shape, path: string[]): Field<unknown> | Shape | undefined {
  let node: Field<unknown> | Shape = root;
  for (const k of path) {
    if (isField(node) || !Object.hasOwn(node, k)) return undefined;
    node = node[k];
  }
  return node;
}

export { isField };

export function merge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    // undefined: not given; null over a section: YAML's empty section
    if (v === undefined || (v === null && isPlain(base[k]))) continue;
    out[k] = isPlain(v) && isPlain(base[k]) ? merge(base[k] as Plain, v) : v;
  }
  return out;
}
