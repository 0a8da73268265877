import type { AgentType, HostState } from './protocol.js';

/**
 * One agent's data-plane half: told the whole desired state for its host (a fresh
 * snapshot, or the same snapshot narrowed to the networks a change touched), it reads
 * the kernel, plans, and applies the difference. Idempotent: called again with the same
 * state it changes nothing. The agent runtime (src/agent/run.ts) owns the protocol.
 */
export interface Reconciler {
  readonly agentType: AgentType;
  readonly binary: string;
  readonly topic: string;
  /**
   * Make the host match `state`. When `partial` is true, `state.networks` holds only the
   * networks a change touched (a network id asked for but absent is gone); otherwise it is
   * everything this agent serves and anything else this agent made is removed.
   * Returns the ports whose devices became wired (`up`) or unwired (`down`) since the last call.
   */
  reconcile(state: HostState, opts: { partial: boolean; networkIds?: string[] }): Promise<{ up: string[]; down: string[] }>;
  /** the `configurations` dict of the agent's heartbeat */
  configurations(): Record<string, unknown>;
  /**
   * Whether a port bound here waits for its device (a tap `port plug` has not made yet, or
   * made after the reconcile read the kernel): nothing from the server says when it appears,
   * so the runtime asks `devicesAppeared` every couple of seconds, as Neutron's agent polls its taps.
   */
  waitingForDevices?(): boolean;
  /** the networks of awaited devices that exist now (to reconcile again) */
  devicesAppeared?(): Promise<string[]>;
  /**
   * Optional, and first: watch the host until `signal` aborts and call `poke` with the networks to
   * reconcile again because something changed here (not on the server).
   */
  watch?(signal: AbortSignal, poke: (networkIds: string[]) => void): Promise<void>;
  /** stop what needs stopping on shutdown (never tears down what was wired) */
  close?(): Promise<void>;
}
