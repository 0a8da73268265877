import type { Ml2Config } from '../config.js';
import type { Logger } from '../../common/logging.js';
import type { Tx } from '../db/database.js';
import { Errors, NeutronError } from '../model/errors.js';
import { mechanismDrivers, typeDrivers } from './drivers/registry.js';
import type { BindingContext, DriverContext, HookName, MechanismDriver, Segment, TypeDriver } from './types.js';

/** Loads type drivers by name and turns provider attributes or tenant requests into segments. */
export class TypeManager {
  private drivers = new Map<string, TypeDriver>();

  constructor(private cfg: Ml2Config) {
    for (const name of cfg.type_drivers) {
      const factory = typeDrivers[name];
      if (!factory) throw new Error(`unknown ML2 type driver "${name}" (known: ${Object.keys(typeDrivers).join(', ')})`);
      this.drivers.set(name, factory(cfg));
    }
    for (const t of cfg.tenant_network_types) {
      if (!this.drivers.has(t)) throw new Error(`tenant network type "${t}" is not among type_drivers`);
    }
  }

  driver(type: string): TypeDriver {
    const d = this.drivers.get(type);
    if (!d) throw Errors.invalidInput(`network_type value '${type}' not supported`);
    return d;
  }

  validateProviderSegment(seg: Segment): void {
    this.driver(seg.network_type).validateProviderSegment(seg);
  }

  async createSegment(tx: Tx, provider: Segment | null, networkId: string): Promise<Segment> {
    if (provider) return this.driver(provider.network_type).reserveProviderSegment(tx, provider, networkId);
    for (const t of this.cfg.tenant_network_types) {
      const seg = await this.driver(t).allocateTenantSegment(tx, networkId);
      if (seg) return seg;
    }
    throw Errors.noNetworkAvailable();
  }

  async releaseSegment(tx: Tx, seg: Segment): Promise<void> {
    await this.drivers.get(seg.network_type)?.releaseSegment(tx, seg);
  }

  /** The largest MTU every segment can carry. */
  networkMtu(segments: Segment[]): number {
    const mtus = segments.map((s) => this.drivers.get(s.network_type)?.getMtu(s.physical_network) ?? 0).filter((m) => m > 0);
    return mtus.length ? Math.min(...mtus) : this.cfg.global_physnet_mtu;
  }
}

/** Calls mechanism drivers in configured order, as ML2's MechanismManager does. */
export class MechanismManager {
  readonly drivers: MechanismDriver[];

  constructor(cfg: Ml2Config, private log: Logger) {
    this.drivers = cfg.mechanism_drivers.map((name) => {
      const factory = mechanismDrivers[name];
      if (!factory) throw new Error(`unknown ML2 mechanism driver "${name}" (known: ${Object.keys(mechanismDrivers).join(', ')})`);
      return factory({ log: log.child({ mech: name }) });
    });
  }

  async initialize(): Promise<void> {
    for (const d of this.drivers) await d.initialize?.();
  }

  /** ML2's _bind_port_level: asks the drivers in order until one binds; a driver that fails is logged and passed over. */
  async bindPort(ctx: BindingContext): Promise<boolean> {
    let bound = false;
    const binding: BindingContext = { ...ctx, setBinding: (seg, vifType, details) => { bound = true; ctx.setBinding(seg, vifType, details); } };
    for (const d of this.drivers) {
      if (!d.bind_port) continue;
      try {
        await d.bind_port(binding);
      } catch (err) {
        this.log.error({ driver: d.name, port: ctx.current.id, err: (err as Error).message }, 'mechanism driver failed in bind_port');
      }
      if (bound) return true;
    }
    return false;
  }

  /**
   * Precommit errors abort the transaction; postcommit errors are reported
   * after every driver was called, as MechanismDriverError.
   */
  async call(hook: HookName, ctx: DriverContext): Promise<void> {
    let failed: unknown;
    for (const d of this.drivers) {
      const fn = d[hook];
      if (!fn) continue;
      try {
        await fn.call(d, ctx);
      } catch (err) {
        this.log.error({ driver: d.name, hook, err: (err as Error).message }, 'mechanism driver failed');
        if (hook.endsWith('_precommit') || err instanceof NeutronError) throw err instanceof NeutronError ? err : Errors.mechanismDriverError(hook);
        failed = err;
      }
    }
    if (failed) throw Errors.mechanismDriverError(hook);
  }
}
