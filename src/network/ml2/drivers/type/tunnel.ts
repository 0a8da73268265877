import { Errors } from '../../../model/errors.js';
import type { Ml2Config } from '../../../config.js';
import type { TypeDriver } from '../../types.js';
import { parseRange, SegmentPool } from './segment-pool.js';

interface TunnelKind {
  name: 'vxlan' | 'gre';
  max: number;
  /** bytes the encapsulation adds, IPv4 outer header included (Neutron's *_ENCAP_OVERHEAD + 20) */
  overhead: number;
  ranges: (cfg: Ml2Config) => string[];
}

/** VXLAN and GRE differ only in their id space, their overhead and the option naming their ranges. */
function tunnelTypeDriver(kind: TunnelKind, cfg: Ml2Config): TypeDriver {
  const ranges = kind.ranges(cfg).map((r) => parseRange(r, 1, kind.max, kind.name));
  const pool = new SegmentPool(kind.name);
  return {
    name: kind.name,
    validateProviderSegment(seg) {
      if (seg.physical_network !== null) throw Errors.invalidInput(`provider:physical_network specified for ${kind.name.toUpperCase()} network`);
      if (seg.segmentation_id !== null && (seg.segmentation_id < 1 || seg.segmentation_id > kind.max)) {
        throw Errors.invalidInput(`segmentation_id out of range (1 through ${kind.max})`);
      }
    },
    async reserveProviderSegment(tx, seg, networkId) {
      if (seg.segmentation_id === null) {
        const id = await pool.allocate(tx, null, ranges, networkId);
        if (id === null) throw Errors.noNetworkAvailable();
        return { ...seg, segmentation_id: id };
      }
      if (!(await pool.reserve(tx, null, seg.segmentation_id, networkId))) throw Errors.tunnelIdInUse(seg.segmentation_id);
      return seg;
    },
    async allocateTenantSegment(tx, networkId) {
      const id = await pool.allocate(tx, null, ranges, networkId);
      return id === null ? null : { network_type: kind.name, physical_network: null, segmentation_id: id };
    },
    async releaseSegment(tx, seg) {
      if (seg.segmentation_id !== null) await pool.release(tx, null, seg.segmentation_id);
    },
    getMtu: () => {
      const underlay = cfg.path_mtu > 0 ? Math.min(cfg.path_mtu, cfg.global_physnet_mtu) : cfg.global_physnet_mtu;
      return underlay - kind.overhead;
    },
  };
}

export const vxlanTypeDriver = (cfg: Ml2Config): TypeDriver =>
  tunnelTypeDriver({ name: 'vxlan', max: 2 ** 24 - 1, overhead: 50, ranges: (c) => c.vni_ranges }, cfg);

export const greTypeDriver = (cfg: Ml2Config): TypeDriver =>
  tunnelTypeDriver({ name: 'gre', max: 2 ** 32 - 1, overhead: 42, ranges: (c) => c.tunnel_id_ranges }, cfg);
