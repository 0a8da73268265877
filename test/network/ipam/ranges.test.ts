import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  countFree,
  isFree,
  normalize,
  type Range,
  release,
  subtract,
  takeFirst,
  takeNth,
  takeRandom,
  takeSpecific,
} from '../../../src/network/ipam/ranges.js';

const r = (first: number, last: number): Range => ({ first: BigInt(first), last: BigInt(last) });

function assertCanonical(ranges: readonly Range[]): void {
  for (let i = 0; i < ranges.length; i++) {
    assert.ok(ranges[i].first <= ranges[i].last, 'non-empty');
    if (i > 0) assert.ok(ranges[i - 1].last + 1n < ranges[i].first, 'sorted, disjoint, not adjacent');
  }
}

describe('ranges', () => {
  it('takeFirst walks up and ends with null', () => {
    let free: Range[] = [r(2, 3), r(10, 10)];
    const got: bigint[] = [];
    for (let t = takeFirst(free); t; t = takeFirst(free)) {
      got.push(t.value);
      free = t.ranges;
    }
    assert.deepEqual(got, [2n, 3n, 10n]);
    assert.deepEqual(free, []);
  });

  it('takeSpecific splits, trims, and refuses what is not free', () => {
    const free = [r(2, 10)];
    assert.deepEqual(takeSpecific(free, 5n), [r(2, 4), r(6, 10)]);
    assert.deepEqual(takeSpecific(free, 2n), [r(3, 10)]);
    assert.deepEqual(takeSpecific(free, 10n), [r(2, 9)]);
    assert.deepEqual(takeSpecific([r(7, 7)], 7n), []);
    assert.equal(takeSpecific(free, 1n), null);
    assert.equal(takeSpecific(free, 11n), null);
    assert.deepEqual(free, [r(2, 10)], 'input untouched');
  });

  it('subtract ignores values that are not free', () => {
    assert.deepEqual(subtract([r(2, 10)], 5n), [r(2, 4), r(6, 10)]);
    assert.deepEqual(subtract([r(2, 10)], 50n), [r(2, 10)]);
  });

  it('release merges with both neighbours', () => {
    assert.deepEqual(release([r(2, 4), r(6, 10)], 5n), [r(2, 10)]);
    assert.deepEqual(release([r(2, 4), r(7, 10)], 5n), [r(2, 5), r(7, 10)]);
    assert.deepEqual(release([r(2, 4), r(7, 10)], 6n), [r(2, 4), r(6, 10)]);
    assert.deepEqual(release([r(2, 3), r(7, 10)], 5n), [r(2, 3), r(5, 5), r(7, 10)]);
    assert.deepEqual(release([], 5n), [r(5, 5)]);
    assert.deepEqual(release([r(2, 4)], 3n), [r(2, 4)], 'already free');
  });

  it('release with pools does not grow them', () => {
    const pools = [r(2, 50)];
    assert.deepEqual(release([r(2, 4)], 60n, pools), [r(2, 4)]);
    assert.deepEqual(release([r(2, 4)], 5n, pools), [r(2, 5)]);
  });

  it('takeNth and takeRandom pick within the window', () => {
    const free = [r(2, 3), r(10, 12)];
    assert.equal(takeNth(free, 0n)?.value, 2n);
    assert.equal(takeNth(free, 2n)?.value, 10n);
    assert.deepEqual(takeNth(free, 4n)?.ranges, [r(2, 3), r(10, 11)]);
    assert.equal(takeNth(free, 5n), null);
    assert.equal(takeRandom(free, 1000, (k) => k - 1)?.value, 12n);
    let seen = 0;
    takeRandom([r(0, 1_000_000)], 1000, (k) => ((seen = k), 0));
    assert.equal(seen, 1000);
    assert.equal(takeRandom([]), null);
    for (let i = 0; i < 20; i++) assert.ok(takeRandom([r(5, 9)])!.value <= 9n);
  });

  it('normalize sorts and merges', () => {
    assert.deepEqual(normalize([r(10, 12), r(1, 3), r(4, 5), r(11, 20), r(30, 29)]), [r(1, 5), r(10, 20)]);
    assert.equal(countFree([r(1, 5), r(10, 20)]), 16n);
    assert.ok(isFree([r(1, 5)], 5n) && !isFree([r(1, 5)], 6n));
  });

  it('works across the IPv6 space', () => {
    const top = (1n << 128n) - 1n;
    const free = [{ first: top - 1n, last: top }];
    assert.deepEqual(takeSpecific(free, top), [{ first: top - 1n, last: top - 1n }]);
    assert.deepEqual(release([{ first: top - 1n, last: top - 1n }], top), free);
  });
});

describe('ranges property: free + allocated is always the pool', () => {
  // Pools: a few disjoint spans; ops: allocate first/specific/nth, release.
  const poolsArb = fc
    .array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 12 })), { minLength: 1, maxLength: 4 })
    .map((spans) => normalize(spans.map(([s, len]) => r(s, s + len))));
  const opArb = fc.oneof(
    fc.record({ kind: fc.constant('first' as const) }),
    fc.record({ kind: fc.constant('specific' as const), v: fc.integer({ min: 0, max: 215 }) }),
    fc.record({ kind: fc.constant('nth' as const), n: fc.integer({ min: 0, max: 60 }) }),
    fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('stray' as const), v: fc.integer({ min: 0, max: 215 }) }),
  );

  it('holds for random allocate/release sequences', () => {
    fc.assert(
      fc.property(poolsArb, fc.array(opArb, { maxLength: 120 }), (pools, ops) => {
        const poolSet = new Set<bigint>();
        for (const p of pools) for (let v = p.first; v <= p.last; v++) poolSet.add(v);
        let free: Range[] = pools;
        const allocated: bigint[] = [];

        for (const op of ops) {
          if (op.kind === 'first' || op.kind === 'nth') {
            const t = op.kind === 'first' ? takeFirst(free) : takeNth(free, BigInt(op.n));
            if (op.kind === 'first') assert.equal(t === null, free.length === 0);
            if (t) {
              assert.ok(!allocated.includes(t.value), 'handed out twice');
              allocated.push(t.value);
              free = t.ranges;
            }
          } else if (op.kind === 'specific') {
            const v = BigInt(op.v);
            const next = takeSpecific(free, v);
            assert.equal(next !== null, poolSet.has(v) && !allocated.includes(v));
            if (next) {
              allocated.push(v);
              free = next;
            }
          } else if (op.kind === 'release') {
            if (allocated.length === 0) continue;
            const [v] = allocated.splice(op.pick % allocated.length, 1);
            free = release(free, v, pools);
          } else {
            // Releasing something never handed out must change nothing.
            const v = BigInt(op.v);
            if (allocated.includes(v)) continue;
            assert.deepEqual(release(free, v, pools), free);
          }

          assertCanonical(free);
          const freeVals: bigint[] = [];
          for (const f of free) for (let v = f.first; v <= f.last; v++) freeVals.push(v);
          const union = [...freeVals, ...allocated];
          assert.equal(new Set(union).size, union.length, 'no value twice');
          assert.equal(union.length, poolSet.size);
          for (const v of union) assert.ok(poolSet.has(v));
          assert.equal(countFree(free), BigInt(freeVals.length));
        }
      }),
      { numRuns: 300 },
    );
  });
});
