import type { NetworkServiceConfig } from '../config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../../common/logging.js';
import { CallbackRegistry } from '../callbacks.js';
import { AvailabilityZones } from './availability-zones.js';
import { PluginContext } from './context.js';
import { Networks } from './networks.js';
import { Ports } from './ports.js';
import { RbacPolicies } from './rbac.js';
import { SecurityGroupRules, SecurityGroups } from './security-groups.js';
import { Subnets } from './subnets.js';
import { Tags } from './tags.js';

/** The ML2 core plugin: networks, subnets and ports over type and mechanism drivers. */
export class Ml2Plugin {
  readonly ctx: PluginContext;
  readonly callbacks: CallbackRegistry;
  readonly networks: Networks;
  readonly subnets: Subnets;
  readonly ports: Ports;
  readonly rbac: RbacPolicies;
  readonly securityGroups: SecurityGroups;
  readonly securityGroupRules: SecurityGroupRules;
  readonly tags: Tags;
  readonly availabilityZones: AvailabilityZones;

  constructor(database: Database, cfg: NetworkServiceConfig, log: Logger) {
    this.callbacks = new CallbackRegistry((err, p) => log.error({ resource: p.resource, event: p.event, err: (err as Error).message }, 'callback failed'));
    this.ctx = new PluginContext(database, cfg, log, this.callbacks);
    this.availabilityZones = new AvailabilityZones(database.db);
    this.networks = new Networks(this.ctx, this.availabilityZones);
    this.subnets = new Subnets(this.ctx, this.networks);
    this.ports = new Ports(this.ctx, this.networks);
    this.rbac = new RbacPolicies(this.ctx, this.networks);
    this.securityGroups = new SecurityGroups(this.ctx);
    this.securityGroupRules = new SecurityGroupRules(this.ctx, this.securityGroups);
    this.tags = new Tags(this.ctx);
  }

  async initialize(): Promise<void> {
    await this.ctx.mech.initialize();
  }
}
