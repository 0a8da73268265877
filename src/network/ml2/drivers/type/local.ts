import { Errors } from '../../../model/errors.js';
import type { Ml2Config } from '../../../config.js';
import type { TypeDriver } from '../../types.js';

/** A network that never leaves its host: no physical network, no segmentation id. */
export function localTypeDriver(cfg: Ml2Config): TypeDriver {
  return {
    name: 'local',
    validateProviderSegment(seg) {
      for (const [k, v] of [['physical_network', seg.physical_network], ['segmentation_id', seg.segmentation_id]] as const) {
        if (v !== null) throw Errors.invalidInput(`${k} prohibited for local provider network`);
      }
    },
    async reserveProviderSegment(_tx, seg) {
      return seg;
    },
    async allocateTenantSegment() {
      return { network_type: 'local', physical_network: null, segmentation_id: null };
    },
    async releaseSegment() {},
    getMtu: () => cfg.global_physnet_mtu,
  };
}
