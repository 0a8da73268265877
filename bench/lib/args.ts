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
