import type { Tx } from './db/database.js';

/**
 * Neutron's callback registry: other parts of cloudlet subscribe to
 * (resource, event). BEFORE_* subscribers may refuse by throwing;
 * PRECOMMIT_* run inside the transaction (a throw rolls it back);
 * AFTER_* run once committed and their errors are logged, not raised.
 */
export type Resource = 'network' | 'subnet' | 'port' | 'tag';
export type Phase = 'before' | 'precommit' | 'after';
export type Action = 'create' | 'update' | 'delete';
export type Event = `${Phase}_${Action}`;

export interface Payload {
  resource: Resource;
  event: Event;
  current?: Record<string, unknown>;
  original?: Record<string, unknown>;
  tx?: Tx;
}

export type Callback = (payload: Payload) => Promise<void> | void;

export class CallbackRegistry {
  private subs = new Map<string, Callback[]>();

  constructor(private onAfterError: (err: unknown, payload: Payload) => void = () => {}) {}

  subscribe(resource: Resource, event: Event, cb: Callback): () => void {
    const key = `${resource}.${event}`;
    const list = this.subs.get(key) ?? [];
    list.push(cb);
    this.subs.set(key, list);
    return () => this.subs.set(key, (this.subs.get(key) ?? []).filter((c) => c !== cb));
  }

  async publish(payload: Payload): Promise<void> {
    for (const cb of this.subs.get(`${payload.resource}.${payload.event}`) ?? []) {
      if (payload.event.startsWith('after_')) {
        try {
          await cb(payload);
        } catch (err) {
          this.onAfterError(err, payload);
        }
      } else {
        await cb(payload);
      }
    }
  }
}
