import { Errors } from '../../../model/errors.js';
import type { Ml2Config } from '../../../config.js';
import type { TypeDriver } from '../../types.js';
import { SegmentPool } from './segment-pool.js';

/** One untagged network per physical network; flat_networks lists the allowed ones ('*' for any). */
export function flatTypeDriver(cfg: Ml2Config): TypeDriver {
  const pool = new SegmentPool('flat');
  const anyPhysnet = cfg.flat_networks.includes('*');
  return {
    name: 'flat',
    validateProviderSegment(seg) {
      if (!seg.physical_network) throw Errors.invalidInput('physical_network required for flat provider network');
      if (!anyPhysnet && !cfg.flat_networks.includes(seg.physical_network)) {
        throw Errors.invalidInput(`physical_network '${seg.physical_network}' unknown for flat provider network`);
      }
      if (seg.segmentation_id !== null) throw Errors.invalidInput('segmentation_id prohibited for flat provider network');
    },
    async reserveProviderSegment(tx, seg, networkId) {
      // segmentation id 0 stands for "the untagged network" of that physnet
      if (!(await pool.reserve(tx, seg.physical_network, 0, networkId))) throw Errors.flatNetworkInUse(seg.physical_network ?? '');
      return seg;
    },
    async allocateTenantSegment() {
      return null;
    },
    async releaseSegment(tx, seg) {
      await pool.release(tx, seg.physical_network, 0);
    },
    getMtu: () => cfg.global_physnet_mtu,
  };
}
