import type { Tx } from '../db/database.js';
import type { Ml2Config } from '../config.js';
import type { Logger } from '../../common/logging.js';

export interface Segment {
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
}

/** ML2 type driver: owns one network type's segments and their allocation. */
export interface TypeDriver {
  readonly name: string;
  /** throws InvalidInput when an admin's provider attributes do not fit this type */
  validateProviderSegment(seg: Segment): void;
  /** takes the segment an admin asked for (or completes a partial one) */
  reserveProviderSegment(tx: Tx, seg: Segment, networkId: string): Promise<Segment>;
  /** a segment for a tenant network, or null when the ranges are exhausted */
  allocateTenantSegment(tx: Tx, networkId: string): Promise<Segment | null>;
  releaseSegment(tx: Tx, seg: Segment): Promise<void>;
  getMtu(physicalNetwork: string | null): number;
}

export interface TypeDriverFactory {
  (cfg: Ml2Config): TypeDriver;
}

/** What a mechanism driver is told about a resource: its current and, on update, previous state. */
export interface DriverContext {
  resource: 'network' | 'subnet' | 'port';
  current: Record<string, unknown>;
  original?: Record<string, unknown>;
  /** the database transaction; present in precommit calls only */
  tx?: Tx;
}

type Hook = (ctx: DriverContext) => Promise<void> | void;

/** An agent on the port's host, as ML2's PortContext.host_agents gives it. */
export interface HostAgent {
  id: string;
  agent_type: string;
  host: string;
  alive: boolean;
  admin_state_up: boolean;
  configurations: Record<string, unknown>;
}

/** What bind_port is given (ML2's PortContext for binding): the port, its network's segments, the host's agents. */
export interface BindingContext {
  /** the port being bound, binding:host_id and binding:vnic_type included */
  current: Record<string, unknown>;
  host: string;
  segments: Segment[];
  hostAgents(agentType: string): Promise<HostAgent[]>;
  /** ML2's set_binding: the driver that calls it binds the port, and the drivers after it are not asked */
  setBinding(segment: Segment, vifType: string, vifDetails: Record<string, unknown>): void;
}

/** ML2 mechanism driver: any subset of the twelve hooks. Precommit runs inside the transaction, postcommit after it. */
export interface MechanismDriver {
  readonly name: string;
  initialize?(): Promise<void> | void;
  /** binds the port when it can (calls setBinding), else returns and the next driver is asked */
  bind_port?(ctx: BindingContext): Promise<void> | void;
  create_network_precommit?: Hook;
  create_network_postcommit?: Hook;
  update_network_precommit?: Hook;
  update_network_postcommit?: Hook;
  delete_network_precommit?: Hook;
  delete_network_postcommit?: Hook;
  create_subnet_precommit?: Hook;
  create_subnet_postcommit?: Hook;
  update_subnet_precommit?: Hook;
  update_subnet_postcommit?: Hook;
  delete_subnet_precommit?: Hook;
  delete_subnet_postcommit?: Hook;
  create_port_precommit?: Hook;
  create_port_postcommit?: Hook;
  update_port_precommit?: Hook;
  update_port_postcommit?: Hook;
  delete_port_precommit?: Hook;
  delete_port_postcommit?: Hook;
}

export type HookName = Exclude<keyof MechanismDriver, 'name' | 'initialize' | 'bind_port'>;

export interface MechanismDriverFactory {
  (deps: { log: Logger }): MechanismDriver;
}
