// Coalesces reload requests: a burst of port changes on a network is one SIGHUP, sent
// `delayMs` after the burst goes quiet, and never later than `maxDelayMs` after its first
// request (a steady trickle still gets reloads).
export class ReloadBatcher {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private firstAt = 0;

  constructor(
    private readonly fire: (ids: string[]) => Promise<void>,
    private readonly delayMs: number,
    private readonly maxDelayMs: number,
  ) {}

  request(id: string): void {
    const now = Date.now();
    if (this.pending.size === 0) this.firstAt = now;
    this.pending.add(id);
    if (this.timer) clearTimeout(this.timer);
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

  /** fire what is pending now */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ids = [...this.pending];
    this.pending.clear();
    if (ids.length > 0) await this.fire(ids);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
