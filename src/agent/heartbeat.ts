// The heartbeat (Neutron's report_state): at start with start_flag, then every
// report_interval. A failed report is one log line and a retry sooner than the
// interval (capped backoff); start_flag stays set until a report gets through.
import type { Logger } from '../common/logging.js';
import { Backoff, oneLine, sleep } from './backoff.js';
import type { AgentApi } from './client.js';
import type { AgentReport } from './protocol.js';

export class Heartbeat {
  private started = false;
  private failing = false;
  /** the agent's admin_state_up as the server last said */
  adminStateUp = true;

  constructor(
    private readonly api: AgentApi,
    private readonly report: () => Omit<AgentReport, 'start_flag'>,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  /** reports until `signal` aborts */
  async run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(Math.min(1000, this.intervalMs), this.intervalMs);
    while (!signal.aborted) {
      let wait = this.intervalMs;
      try {
        await this.once();
        backoff.reset();
      } catch (err) {
        if (signal.aborted) break;
        wait = backoff.next();
        this.log.warn(`heartbeat failed (next try in ${Math.round(wait / 1000)} s): ${oneLine(err)}`);
        this.failing = true;
      }
      await sleep(wait, signal);
    }
  }

  /** one report now */
  async once(): Promise<void> {
    const reply = await this.api.report({ ...this.report(), ...(this.started ? {} : { start_flag: true }) });
    this.started = true;
    this.adminStateUp = reply.agent.admin_state_up;
    if (this.failing) this.log.info('heartbeat accepted again');
    this.failing = false;
  }
}
