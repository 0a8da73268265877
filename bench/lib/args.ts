import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A numeric option in (0, max], or exit 2 with the reason. */
export function positive(name: string, v: string | undefined, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > max) {
    console.error(`--${name} must be a number in (0, ${max}], got ${v}`);
    process.exit(2);
  }
  return n;
}

/** progress on stderr, stamped with the time of day, so the table on stdout stays clean */
export const log = (s: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

/** the options every benchmark has */
const COMMON = {
  'write-md': { type: 'boolean', default: false },
  'md-file': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Parses this benchmark's `options` and the common ones (--write-md, --md-file, -h/--help: prints `help` and exits). */
export function benchArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  help: string,
  options: T,
): ReturnType<typeof parseArgs<{ options: T & typeof COMMON }>>['values'] {
  const { values } = parseArgs<{ options: T & typeof COMMON }>({ options: { ...options, ...COMMON } });
  if ((values as { help?: boolean }).help) {
    console.log(help);
    process.exit(0);
  }
  return values;
}
