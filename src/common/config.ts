// Loading a configuration declared with config-schema.ts: defaults, then a YAML file,
// then CLOUDLET_* variables, then flags, each checked against the declaration. The
// mechanism only: the declaration itself is assembled in src/config.ts from the
// services' sections.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { checkAgainst, ConfigProblem, declared, defaultsOf, isField, merge, suggest, type Field, type Infer, type Shape } from './config-schema.js';

type Plain = Record<string, unknown>;

/** a configuration error: one line naming where (file, variable, flag) and what */
export class ConfigError extends Error {
  constructor(source: string, text: string) {
    super(`config ${source}: ${text}`);
  }
}

/** what the loader needs besides the shape */
export interface Declaration<S extends Shape> {
  shape: S;
  /** CLOUDLET_* variables of cloudlet's that are not options */
  notOptions: ReadonlySet<string>;
  /** the command-line flags that set an option: name → [the flag as typed, the option's path] */
  flags: Readonly<Record<string, readonly [string, readonly string[]]>>;
}

const variable = (path: string[]): string => `CLOUDLET_${path.join('__').toUpperCase()}`;

/**
 * CLOUDLET_A__B__C overrides a.b.c; a single underscore stays part of the key,
 * so CLOUDLET_NETWORK__ML2__VNI_RANGES maps to network.ml2.vni_ranges.
 * A name with __ must name an option; one without is an option's when it is close
 * to a top-level one (CLOUDLET_DATA_DIRR), else another program's (CLOUDLET_TEST_…).
 */
export function envOverrides(shape: Shape, env: NodeJS.ProcessEnv, notOptions: ReadonlySet<string> = new Set()): Plain {
  const out: Plain = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('CLOUDLET_') || raw === undefined || notOptions.has(name)) continue;
    const path = name.slice('CLOUDLET_'.length).toLowerCase().split('__');
    const decl = declared(shape, path);
    const problem = (text: string) => new ConfigError(name, text);
    if (decl === undefined) {
      if (path.length === 1 && suggest(shape, [], path[0]) === undefined) continue;
      const at = path.findIndex((_, i) => declared(shape, path.slice(0, i + 1)) === undefined);
      if (at > 0 && isField(declared(shape, path.slice(0, at))!)) throw problem(`${path.slice(0, at).join('.')} is an option, not a section`);
      const meant = suggest(shape, path.slice(0, at), path[at]);
      // the variable meant: the misspelt word (or the section misplaced) put right, the rest as written
      const fixed = meant && [...(meant.length === 1 ? [...path.slice(0, at), meant[0]] : meant), ...path.slice(at + 1)];
      const known = fixed && declared(shape, fixed);
      const hint = known && isField(known) ? ` (did you mean ${variable(fixed)}?)` : meant ? ` (did you mean ${meant.join('.')}?)` : '';
      throw problem(`${path.slice(0, at + 1).join('.')}: unknown key${hint}`);
    }
    if (!isField(decl)) throw problem(`${path.join('.')} is a section: set its options as ${name}__OPTION`);
    const value = decl.fromText(raw);
    if (!decl.check(value)) throw problem(`expected ${decl.expected}, got ${JSON.stringify(raw)}`);
    let node = out;
    for (const p of path.slice(0, -1)) node = (node[p] ??= {}) as Plain;
    node[path[path.length - 1]] = value;
  }
  return out;
}

/** a YAML file's document; a file that does not parse is a one-line ConfigError */
export function readYaml(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  try {
    return parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** a parsed document checked against the shape and put over its defaults; `source` names it in the one-line error */
export function documentOver<S extends Shape>(shape: S, doc: unknown, source: string, base: Plain = defaultsOf(shape) as Plain): Infer<S> {
  try {
    checkAgainst(shape, doc);
  } catch (err) {
    if (err instanceof ConfigProblem) throw new ConfigError(source, err.message);
    throw err;
  }
  return (doc ? merge(base, doc as Plain) : base) as Infer<S>;
}

export interface LoadOptions<F extends string = string> {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** command-line flags: the last word */
  overrides?: Partial<Record<F, unknown>>;
}

/** Defaults, then the YAML file (CLOUDLET_CONFIG, else /etc/cloudlet/cloudlet.yaml if there), then CLOUDLET_* variables, then flags. */
export function loadDeclared<S extends Shape>(decl: Declaration<S>, opts: LoadOptions = {}): Infer<S> {
  const env = opts.env ?? process.env;
  let cfg = defaultsOf(decl.shape) as Plain;
  const explicit = opts.file ?? env.CLOUDLET_CONFIG;
  const file = explicit ?? '/etc/cloudlet/cloudlet.yaml';
  if (existsSync(file)) {
    cfg = documentOver(decl.shape, readYaml(file), file, cfg) as Plain;
  } else if (explicit) {
    // a file named on purpose must exist; only the default location may be absent
    throw new Error(`configuration file ${explicit} does not exist`);
  }
  cfg = merge(cfg, envOverrides(decl.shape, env, decl.notOptions));
  for (const [key, [flag, path]] of Object.entries(decl.flags)) {
    const value = opts.overrides?.[key];
    if (value === undefined || value === '') continue;
    const option = declared(decl.shape, [...path]) as Field<unknown>;
    if (!option.check(value)) throw new ConfigError(flag, `expected ${option.expected}, got ${JSON.stringify(value)}`);
    let node = cfg;
    for (const p of path.slice(0, -1)) node = node[p] as Plain;
    node[path[path.length - 1]] = value;
  }
  return cfg as Infer<S>;
}
