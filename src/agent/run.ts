// The agent runtime: one Reconciler kept in step with the server. A full snapshot
// at start (GET /state), then the change log followed from its revision (long
// poll on GET /changes); changes that concern this host are applied as one
// narrowed snapshot, at once after a quiet spell and gathered for a short while
// in a burst, so a burst of port creates is a handful of fetches. 410 (the log moved past us), a periodic resync and a
// failed reconcile take a full snapshot again. A server that is away or answers
// garbage is one log line and a capped backoff: the last applied state stays,
// the heartbeat says unhealthy, the revision is kept to resume from.
import type { Logger } from '../common/logging.js';
import { AuthFailed } from '../common/keystone-session.js';
import { Backoff, oneLine, sleep } from './backoff.js';
import { BehindError, type AgentApi } from './client.js';
import { DevicePending } from './devices.js';
import { Heartbeat } from './heartbeat.js';
import type { HostState } from './protocol.js';
import type { Reconciler } from './reconciler.js';
import { needed, served } from './sync.js';

/** seconds between looks for the device of a port bound here that is not plugged yet (Neutron's
 * polling_interval is 2 s; only while one waits, so a plug is wired in well under a second) */
const DEVICE_POLL_SECONDS = 0.5;

export interface RuntimeOptions {
  host: string;
  /** seconds between heartbeats (Neutron's report_interval) */
  reportInterval: number;
  /** a full resync this often, whatever the log says (ms; default 5 min) */
  resyncMs?: number;
  /** long poll length (s; default 30) */
  pollSeconds?: number;
  /** in a burst, how long changes are gathered before one fetch (ms; default 75) */
  batchMs?: number;
  backoff?: { firstMs: number; maxMs: number };
  availabilityZone?: string;
}

export interface RuntimeStatus {
  healthy: boolean;
  error: string | null;
  /** the last revision applied (null: no snapshot yet) */
  revision: number | null;
  fullSyncs: number;
  partialSyncs: number;
}

export class AgentRuntime {
  private readonly abort = new AbortController();
  private readonly heartbeat: Heartbeat;
  private readonly devices = new DevicePending();
  private known = new Set<string>();
  private revision: number | null = null;
  private needFull = true;
  private lastFull = 0;
  private synced = false;
  /** when the last batch from the log was applied (a change soon after it is part of a burst) */
  private lastAppliedAt = -Infinity;
  private loops: Promise<void>[] = [];
  /** after every good exchange with the server: the backoff starts over, the status is healthy */
  private onSuccess = (): void => {};
  readonly status: RuntimeStatus = { healthy: false, error: null, revision: null, fullSyncs: 0, partialSyncs: 0 };

  constructor(private readonly api: AgentApi, private readonly reconciler: Reconciler, private readonly opts: RuntimeOptions, private readonly log: Logger) {
    this.heartbeat = new Heartbeat(api, () => this.report(), opts.reportInterval * 1000, log);
  }

  private report() {
    return {
      host: this.opts.host,
      agent_type: this.reconciler.agentType,
      binary: this.reconciler.binary,
      topic: this.reconciler.topic,
      availability_zone: this.opts.availabilityZone ?? 'nova',
      configurations: { ...this.reconciler.configurations(), healthy: this.status.healthy, sync_error: this.status.error },
      resources_synced: this.synced,
    };
  }

  /** starts the heartbeat and the sync loop; returns at once */
  start(): void {
    const signal = this.abort.signal;
    this.loops = [this.heartbeat.run(signal), this.syncLoop(signal)];
    if (this.reconciler.watch) this.loops.push(this.reconciler.watch(signal, (ids) => this.poke(ids)));
  }

  private poked = new Set<string>();
  private pokeTimer: NodeJS.Timeout | undefined;

  /**
   * The host changed under us (a tap appeared): the networks are reconciled again from the
   * server's state for them, gathered for a moment (one plug is several link events).
   * Before the first snapshot there is nothing to do: the full sync will see it.
   */
  private poke(networkIds: string[]): void {
    if (!this.synced || this.abort.signal.aborted) return;
    for (const id of networkIds) this.poked.add(id);
    this.pokeTimer ??= setTimeout(() => {
      this.pokeTimer = undefined;
      const ids = [...this.poked];
      this.poked.clear();
      void this.refresh(ids).catch((err: unknown) => {
        if (!this.abort.signal.aborted) this.log.warn(`local change on ${ids.length} network(s) not applied: ${oneLine(err)}; the next sync will`);
      });
    }, 10);
  }

  private async refresh(ids: string[]): Promise<void> {
    const state = await this.api.state(this.opts.host, this.reconciler.agentType, ids);
    await this.apply(state, ids);
    await this.devices.flush(this.api, this.opts.host);
  }

  /** stops following the server; what was wired stays as it is */
  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.pokeTimer);
    await Promise.allSettled(this.loops);
    await this.reconciler.close?.();
  }

  private fail(err: unknown, what: string): void {
    const line = `${what}: ${oneLine(err)}`;
    this.status.healthy = false;
    this.status.error = line;
  }

  private async syncLoop(signal: AbortSignal): Promise<void> {
    const b = this.opts.backoff ?? { firstMs: 500, maxMs: 30_000 };
    const backoff = new Backoff(b.firstMs, b.maxMs);
    // a wrong password stays wrong: wait longer from the start
    const authBackoff = new Backoff(Math.max(b.firstMs, 2000), Math.max(b.maxMs, 60_000));
    const resyncMs = this.opts.resyncMs ?? 300_000;
    this.onSuccess = () => {
      backoff.reset();
      authBackoff.reset();
      if (this.status.error !== null) this.log.info({ revision: this.revision }, 'in step with the server again');
      this.status.healthy = true;
      this.status.error = null;
    };
    while (!signal.aborted) {
      try {
        const full = this.needFull || Date.now() - this.lastFull >= resyncMs;
        const t0 = performance.now();
        const phases = full ? await this.fullSync() : undefined;
        const t1 = performance.now();
        await this.devices.flush(this.api, this.opts.host);
        // one line per full sync: how long making the host match a whole snapshot took, by phase (bench:dataplane reads it)
        if (phases) this.log.info({ revision: this.revision, ms: Math.round(performance.now() - t0), ...phases, report_ms: Math.round(performance.now() - t1) }, 'full sync done');
        await this.follow(signal, resyncMs);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof BehindError) {
          this.log.info(`${err.message}: taking a fresh snapshot`);
          this.needFull = true;
          continue;
        }
        const wait = err instanceof AuthFailed ? authBackoff.next() : backoff.next();
        this.fail(err, 'sync');
        this.log.warn(`${this.status.error} (retrying in ${(wait / 1000).toFixed(1)} s)`);
        await sleep(wait, signal);
      }
    }
  }

  /** resolves how long fetching the snapshot and applying it took (ms) */
  private async fullSync(): Promise<{ fetch_ms: number; apply_ms: number }> {
    const t0 = performance.now();
    const state = await this.api.state(this.opts.host, this.reconciler.agentType);
    const t1 = performance.now();
    await this.apply(state, undefined);
    const phases = { fetch_ms: Math.round(t1 - t0), apply_ms: Math.round(performance.now() - t1) };
    this.revision = state.revision;
    this.needFull = false;
    this.lastFull = Date.now();
    this.synced = true;
    this.status.fullSyncs++;
    this.onSuccess();
    return phases;
  }

  private async apply(state: HostState, networkIds: string[] | undefined): Promise<void> {
    let result;
    try {
      result = await this.reconciler.reconcile(state, networkIds ? { partial: true, networkIds } : { partial: false });
    } catch (err) {
      // the next round starts from a full snapshot: whatever half of this applied is read back from the kernel
      this.needFull = true;
      throw new Error(`reconcile failed: ${oneLine(err)}`);
    }
    this.known = served(this.known, state, networkIds);
    this.devices.add(result);
    this.status.revision = state.revision;
  }

  /** follows the log until a full snapshot is due; throws on any failure (the caller backs off) */
  private async follow(signal: AbortSignal, resyncMs: number): Promise<void> {
    const poll = this.opts.pollSeconds ?? 30;
    const batchMs = this.opts.batchMs ?? 75;
    while (!signal.aborted && !this.needFull && Date.now() - this.lastFull < resyncMs) {
      const waiting = this.reconciler.waitingForDevices?.() ?? false;
      let batch = await this.api.changes(this.revision!, waiting ? Math.min(poll, DEVICE_POLL_SECONDS) : poll, signal);
      // the server answers sensibly: healthy again, even when nothing here changes
      this.onSuccess();
      let want = needed(batch.changes, this.opts.host, this.reconciler.agentType, this.known);
      let revision = batch.revision;
      // A change after a quiet spell is applied at once (an instance is waiting for it); one
      // that follows the last apply closely is part of a burst: gather what follows, within a
      // bound, before one fetch.
      const burst = Date.now() - this.lastAppliedAt < batchMs;
      const until = Date.now() + 10 * batchMs;
      while (burst && (want.full || want.networkIds.size > 0) && batch.changes.length > 0 && Date.now() < until && !signal.aborted) {
        await sleep(batchMs, signal);
        batch = await this.api.changes(revision, 0, signal);
        const more = needed(batch.changes, this.opts.host, this.reconciler.agentType, this.known);
        want = { full: want.full || more.full, networkIds: new Set([...want.networkIds, ...more.networkIds]) };
        revision = batch.revision;
      }
      if (waiting && !want.full) for (const id of (await this.reconciler.devicesAppeared?.()) ?? []) want.networkIds.add(id);
      if (want.full) {
        this.needFull = true;
        return;
      }
      if (want.networkIds.size > 0) {
        const ids = [...want.networkIds];
        const state = await this.api.state(this.opts.host, this.reconciler.agentType, ids);
        await this.apply(state, ids);
        this.status.partialSyncs++;
        this.lastAppliedAt = Date.now();
      }
      // only now: a failure above retries from the revision before this batch
      this.revision = revision;
      this.status.revision = revision;
      await this.devices.flush(this.api, this.opts.host);
    }
  }

  /** one heartbeat now (tests, and `cloudlet up` before it prints its banner) */
  reportNow(): Promise<void> {
    return this.heartbeat.once();
  }
}
