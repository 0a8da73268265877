/**
 * One read shared by every caller that asked before it was sent: at most one is in flight,
 * and callers arriving meanwhile wait for the next, which is sent when the current one ends.
 * Every caller therefore gets an answer read after it asked, never one already under way
 * when it arrived (which could miss a change committed and acknowledged just before), at
 * the cost of one round trip per batch instead of one per caller.
 */
export function coalescedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let next: Promise<T> | undefined;
  const send = (): Promise<T> => {
    next = undefined; // from here on, a new caller may have come after this read was sent
    const p = read();
    running = p;
    const done = (): void => {
      if (running === p) running = undefined;
    };
    p.then(done, done);
    return p;
  };
  return () => {
    if (next) return next;
    if (!running) return send();
    next = running.then(send, send);
    return next;
  };
}
