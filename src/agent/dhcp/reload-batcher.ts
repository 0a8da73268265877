// Coalesces reload requests. A change after a quiet spell is one SIGHUP at once (the
// lease a new instance waits for should not wait on a timer); requests that follow a
// reload closely are a burst: one SIGHUP `delayMs` after it goes quiet, and never later
// than `maxDelayMs` after its first request (a steady trickle still gets reloads).
export class ReloadBatcher {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private firstAt = 0;
  private lastFireAt = -Infinity;
  /** the reloads sent and not finished yet: flush waits for them too */
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly fire: (ids: string[]) => Promise<void>,
    private readonly delayMs: number,
    private readonly maxDelayMs: number,
  ) {}

  request(id: string): void {
    const now = Date.now();
    const quiet = this.pending.size === 0 && now - this.lastFireAt >= this.delayMs;
    if (this.pending.size === 0) this.firstAt = now;
    this.pending.add(id);
    if (this.timer) clearTimeout(this.timer);
    // after a quiet spell: on the next turn, so the rest of one reconcile pass joins this SIGHUP
    if (quiet) {
      this.timer = setTimeout(() => void this.flush(), 0);
      return;
    }
    const wait = Math.max(0, Math.min(this.delayMs, this.firstAt + this.maxDelayMs - now));
    this.timer = setTimeout(() => void this.flush(), wait);
  }

  /** drop a request (the process was started or stopped: nothing to reload) */
  cancel(id: string): void {
    this.pending.delete(id);
  }

  get size(): number {
    return this.pending.size;
  }

  /** fire what is pending now; resolves when every reload asked for so far is done */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ids = [...this.pending];
    this.pending.clear();
    if (ids.length > 0) {
      this.lastFireAt = Date.now();
      const fired = this.fire(ids);
      this.inflight = this.inflight.then(() => fired);
    }
    await this.inflight;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
