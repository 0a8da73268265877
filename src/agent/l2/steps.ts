// A plan is a list of these, plain data: what the planner decided, before anything runs.
import type { LinkChange, NewLink } from '../../host/linux/links.js';

export type Step =
  /** make a link carrying `mark` as its alias (see addMarkedLinkCommands) */
  | { op: 'create'; name: string; link: NewLink; mark: string; mtu?: number }
  | { op: 'set'; name: string; change: LinkChange }
  | { op: 'delete'; name: string }
  | { op: 'flood-add'; dev: string; dst: string }
  | { op: 'flood-del'; dev: string; dst: string }
  | { op: 'fdb-set'; dev: string; mac: string; dst: string }
  | { op: 'fdb-del'; dev: string; mac: string; dst: string | null }
  | { op: 'neigh-set'; dev: string; ip: string; mac: string }
  | { op: 'neigh-del'; dev: string; ip: string }
  | { op: 'sysctl'; key: string; value: string };

/** why a network this host should serve is not wired (reported in the agent's configurations) */
export interface NetworkProblem {
  network_id: string;
  reason: string;
}
