// Ports the reconciler wired or unwired, told to the server (POST /devices) until
// it accepts: kept across failures, the latest word per port winning.
import type { AgentApi } from './client.js';

export class DevicePending {
  private readonly state = new Map<string, 'up' | 'down'>();

  add(r: { up: string[]; down: string[] }): void {
    for (const id of r.down) this.state.set(id, 'down');
    for (const id of r.up) this.state.set(id, 'up');
  }

  get size(): number {
    return this.state.size;
  }

  /** sends what is pending; on failure it stays pending (and what arrived meanwhile is kept) */
  async flush(api: AgentApi, host: string): Promise<void> {
    if (this.state.size === 0) return;
    const sent = new Map(this.state);
    const up = [...sent].filter(([, s]) => s === 'up').map(([id]) => id);
    const down = [...sent].filter(([, s]) => s === 'down').map(([id]) => id);
    await api.devices({ host, up, down });
    for (const [id, s] of sent) if (this.state.get(id) === s) this.state.delete(id);
  }
}
