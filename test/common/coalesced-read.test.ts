// coalescedRead: callers share reads, yet none gets a read that was sent before it asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coalescedRead } from '../../src/common/db/coalesced-read.js';

/** A read whose answers the test releases by hand; `value` is what the store holds when a read is sent. */
function manualRead() {
  const state = { value: 0, sent: [] as { at: number; release: () => void; fail: (e: Error) => void }[] };
  const read = () =>
    new Promise<number>((resolve, reject) => {
      const at = state.value;
      state.sent.push({ at, release: () => resolve(at), fail: reject });
    });
  return { state, read };
}

const tick = () => new Promise((r) => setImmediate(r));

test('coalescedRead: callers during a read share the next one, sent after they asked', async () => {
  const { state, read } = manualRead();
  const get = coalescedRead(read);
  const first = get();
  const sameTurn = get();
  assert.equal(state.sent.length, 0, 'sent at the end of the turn, not at the first call');
  await tick();
  assert.equal(state.sent.length, 1, 'callers of the same turn share one read');
  // a change is committed and acknowledged after the first read was sent...
  state.value = 1;
  // ...so callers from now on must not get the first read's answer
  const later = Array.from({ length: 5 }, () => get());
  assert.equal(state.sent.length, 1, 'nothing more is sent while a read is in flight');
  state.sent[0].release();
  assert.equal(await first, 0);
  assert.equal(await sameTurn, 0);
  await tick();
  assert.equal(state.sent.length, 2, 'one read for all five waiting callers');
  state.value = 2; // after the second read was sent: not in its answer, and that is right
  const third = get();
  assert.equal(state.sent.length, 2, 'the third waits for the second read to end');
  state.sent[1].release();
  assert.deepEqual(await Promise.all(later), [1, 1, 1, 1, 1]);
  await tick();
  assert.equal(state.sent.length, 3);
  state.sent[2].release();
  assert.equal(await third, 2);
  // idle again: the next caller's read goes at the end of this turn
  const fourth = get();
  await tick();
  assert.equal(state.sent.length, 4);
  state.sent[3].release();
  assert.equal(await fourth, 2);
});

test('coalescedRead: a failed read fails its callers only; the waiting ones get a fresh read', async () => {
  const { state, read } = manualRead();
  const get = coalescedRead(read);
  const first = get();
  await tick();
  const second = get();
  state.sent[0].fail(new Error('connection lost'));
  await assert.rejects(first, /connection lost/);
  await tick();
  assert.equal(state.sent.length, 2);
  state.sent[1].release();
  assert.equal(await second, 0);
});

test('coalescedRead: a read that throws at once fails its callers, and the next caller reads again', async () => {
  let n = 0;
  const get = coalescedRead(async () => {
    if (n++ === 0) throw new Error('no connection');
    return n;
  });
  await assert.rejects(get(), /no connection/);
  assert.equal(await get(), 2);
});
