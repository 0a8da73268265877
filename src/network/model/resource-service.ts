import type { Caller } from './caller.js';
import type { ListQuery } from './list-query.js';

type Body = Record<string, unknown>;

/** What the generic controller needs from a plugin for one resource. */
export interface ResourceService {
  create(caller: Caller, items: Body[]): Promise<Body[]>;
  get(caller: Caller, id: string): Promise<Body>;
  list(caller: Caller, q: ListQuery): Promise<Body[]>;
  update(caller: Caller, id: string, changes: Body): Promise<Body>;
  delete(caller: Caller, id: string): Promise<void>;
  /**
   * What the policy rules read beyond the resource itself (a port's or subnet's
   * network:project_id, network:tenant_id, network:shared). For a new resource
   * (existing false) it also refuses, with 404, a reference the caller may not use.
   */
  related?(caller: Caller, item: Body, existing: boolean): Promise<Body>;
}
