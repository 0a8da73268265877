/**
 * One read shared by every caller that asked before it was sent: at most one is in flight,
 * and callers arriving meanwhile wait for the next, which is sent when the current one ends.
 * Every caller therefore gets an answer read after it asked, never one already under way
 * when it arrived (which could miss a change committed and acknowledged just before), at
 * the cost of one round trip per batch instead of one per caller.
 *
 * A read is sent at the end of the event loop's turn (setImmediate) rather than at the first
 * call: requests parsed in the same turn then share it, instead of the first going alone and
 * the others waiting for the next one.
 */
export function coalescedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight = false;
  let scheduled = false;
  /** the callers of the next read, none of it sent yet */
  let waiting: { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } | undefined;

  const send = (): void => {
    scheduled = false;
    const batch = waiting;
    if (!batch || inFlight) return;
    waiting = undefined; // from here on, a new caller may have come after this read was sent
    inFlight = true;
    let p: Promise<T>;
    try {
      p = read();
    } catch (e) {
      p = Promise.reject(e);
    }
    // done before the callers go on: one that asks again at once is not left waiting on this read
    const done = (): void => {
      inFlight = false;
      if (waiting) schedule();
    };
    p.then(
      (v) => {
        done();
        batch.resolve(v);
      },
      (e: unknown) => {
        done();
        batch.reject(e);
      },
    );
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(send);
  };

  return () => {
    if (!waiting) {
      let resolve!: (v: T) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      waiting = { promise, resolve, reject };
    }
    if (!inFlight) schedule();
    return waiting.promise;
  };
}
