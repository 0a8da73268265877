// Free-address bookkeeping as sorted, disjoint, inclusive ranges, so that
// allocation is O(log n) in the number of holes, never a scan of the
// allocated addresses. Every function is pure: inputs are never mutated.
import { randomInt } from 'node:crypto';

export interface Range {
  first: bigint;
  last: bigint;
}

/** Index of the range holding value, or -(insertion point) - 1. */
function locate(ranges: readonly Range[], value: bigint): number {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid];
    if (value < r.first) hi = mid - 1;
    else if (value > r.last) lo = mid + 1;
    else return mid;
  }
  return -lo - 1;
}

/** Sort and merge arbitrary ranges (overlapping or adjacent) into canonical form. */
export function normalize(ranges: readonly Range[]): Range[] {
  const sorted = ranges
    .filter((r) => r.first <= r.last)
    .map((r) => ({ first: r.first, last: r.last }))
    .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: Range[] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev && r.first <= prev.last + 1n) {
      if (r.last > prev.last) prev.last = r.last;
    } else {
      out.push(r);
    }
  }
  return out;
}

export function isFree(ranges: readonly Range[], value: bigint): boolean {
  return locate(ranges, value) >= 0;
}

/** Number of free addresses. */
export function countFree(ranges: readonly Range[]): bigint {
  return ranges.reduce((n, r) => n + (r.last - r.first + 1n), 0n);
}

/** Remove value from the range at index i (which must contain it). */
function cut(ranges: readonly Range[], i: number, value: bigint): Range[] {
  const r = ranges[i];
  const pieces: Range[] = [];
  if (r.first < value) pieces.push({ first: r.first, last: value - 1n });
  if (value < r.last) pieces.push({ first: value + 1n, last: r.last });
  return [...ranges.slice(0, i), ...pieces, ...ranges.slice(i + 1)];
}

/** Lowest free address, and the ranges without it; null when exhausted. */
export function takeFirst(ranges: readonly Range[]): { value: bigint; ranges: Range[] } | null {
  if (ranges.length === 0) return null;
  const value = ranges[0].first;
  return { value, ranges: cut(ranges, 0, value) };
}

/** The n-th (0-based) free address and the ranges without it; null if n >= count. */
export function takeNth(ranges: readonly Range[], n: bigint): { value: bigint; ranges: Range[] } | null {
  if (n < 0n) return null;
  for (let i = 0; i < ranges.length; i++) {
    const len = ranges[i].last - ranges[i].first + 1n;
    if (n < len) {
      const value = ranges[i].first + n;
      return { value, ranges: cut(ranges, i, value) };
    }
    n -= len;
  }
  return null;
}

/**
 * Neutron's default strategy for ordinary ports: a random pick among the
 * first `window` free addresses (neutrondb_ipam MAX_WIN = 1000), so that
 * concurrent creates rarely collide. `pick(k)` returns an integer in [0, k).
 */
export function takeRandom(
  ranges: readonly Range[],
  window = 1000,
  pick: (k: number) => number = randomInt,
): { value: bigint; ranges: Range[] } | null {
  const free = countFree(ranges);
  if (free === 0n) return null;
  const k = free < BigInt(window) ? Number(free) : window;
  return takeNth(ranges, BigInt(pick(k)));
}

/** Ranges without value; null when value is not free (taken or outside). */
export function takeSpecific(ranges: readonly Range[], value: bigint): Range[] | null {
  const i = locate(ranges, value);
  return i < 0 ? null : cut(ranges, i, value);
}

/** Like takeSpecific, but a value that is not free leaves the ranges as they are. */
export function subtract(ranges: readonly Range[], value: bigint): Range[] {
  return takeSpecific(ranges, value) ?? [...ranges];
}

/**
 * Give value back, merging with its neighbours; a free value is a no-op.
 * With `within` (the subnet's pools), a value outside them is a no-op too:
 * Neutron lets a fixed IP sit outside the pools, and freeing it must not
 * grow the pools.
 */
export function release(ranges: readonly Range[], value: bigint, within?: readonly Range[]): Range[] {
  const i = locate(ranges, value);
  if (i >= 0 || (within !== undefined && locate(within, value) < 0)) return [...ranges];
  const at = -i - 1;
  const before = at > 0 ? ranges[at - 1] : undefined;
  const after = at < ranges.length ? ranges[at] : undefined;
  const joinsBefore = before !== undefined && before.last + 1n === value;
  const joinsAfter = after !== undefined && after.first - 1n === value;
  const merged: Range = {
    first: joinsBefore ? before.first : value,
    last: joinsAfter ? after.last : value,
  };
  const from = joinsBefore ? at - 1 : at;
  const to = joinsAfter ? at + 1 : at;
  return [...ranges.slice(0, from), merged, ...ranges.slice(to)];
}
