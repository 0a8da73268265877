import type { MechanismDriverFactory, TypeDriverFactory } from '../types.js';
import { localTypeDriver } from './type/local.js';
import { flatTypeDriver } from './type/flat.js';
import { vlanTypeDriver } from './type/vlan.js';
import { greTypeDriver, vxlanTypeDriver } from './type/tunnel.js';
import { loggerMechanismDriver } from './mech/logger.js';
import { linuxbridgeMechanismDriver } from './mech/linuxbridge.js';

/** Drivers by the names used in configuration (Neutron's entry points). */
export const typeDrivers: Record<string, TypeDriverFactory> = {
  local: localTypeDriver,
  flat: flatTypeDriver,
  vlan: vlanTypeDriver,
  vxlan: vxlanTypeDriver,
  gre: greTypeDriver,
};

export const mechanismDrivers: Record<string, MechanismDriverFactory> = {
  logger: loggerMechanismDriver,
  linuxbridge: linuxbridgeMechanismDriver,
};
