import { Errors } from '../../../model/errors.js';
import type { Ml2Config } from '../../../config.js';
import type { Tx } from '../../../db/database.js';
import type { TypeDriver } from '../../types.js';
import { parseRange, SegmentPool } from './segment-pool.js';

const MIN_VLAN = 1;
const MAX_VLAN = 4094;

/** network_vlan_ranges: "physnet1:100:199" (tenant-allocatable) or "physnet2" (provider networks only). */
function parseVlanRanges(specs: string[]): Map<string, Array<[number, number]>> {
  const out = new Map<string, Array<[number, number]>>();
  for (const spec of specs) {
    const [physnet, ...rest] = spec.split(':');
    if (!physnet) throw new Error(`invalid network_vlan_ranges entry "${spec}"`);
    const ranges = out.get(physnet) ?? [];
    if (rest.length) ranges.push(parseRange(rest.join(':'), MIN_VLAN, MAX_VLAN, 'VLAN'));
    out.set(physnet, ranges);
  }
  return out;
}

export function vlanTypeDriver(cfg: Ml2Config): TypeDriver {
  const ranges = parseVlanRanges(cfg.network_vlan_ranges);
  const pool = new SegmentPool('vlan');
  /** A free VLAN on the first physnet that has one: waiting for another transaction's claim only when no physnet has an unclaimed one. */
  async function allocateOn(tx: Tx, physnets: string[], networkId: string): Promise<{ physical_network: string; segmentation_id: number } | null> {
    for (const wait of [false, true]) {
      for (const p of physnets) {
        const id = await pool.allocate(tx, p, ranges.get(p) ?? [], networkId, wait);
        if (id !== null) return { physical_network: p, segmentation_id: id };
      }
    }
    return null;
  }
  return {
    name: 'vlan',
    validateProviderSegment(seg) {
      if (seg.physical_network === null) {
        if (seg.segmentation_id !== null) throw Errors.invalidInput('segmentation_id requires physical_network for VLAN provider network');
        return;
      }
      if (!ranges.has(seg.physical_network)) {
        throw Errors.invalidInput(`physical_network '${seg.physical_network}' unknown for VLAN provider network`);
      }
      if (seg.segmentation_id !== null && (seg.segmentation_id < MIN_VLAN || seg.segmentation_id > MAX_VLAN)) {
        throw Errors.invalidInput(`segmentation_id out of range (${MIN_VLAN} through ${MAX_VLAN})`);
      }
    },
    async reserveProviderSegment(tx, seg, networkId) {
      if (seg.segmentation_id === null) {
        // a partial segment: take a free id from the named physnet, or from any
        const physnets = seg.physical_network ? [seg.physical_network] : [...ranges.keys()];
        const found = await allocateOn(tx, physnets, networkId);
        if (!found) throw Errors.noNetworkAvailable();
        return { ...seg, ...found };
      }
      if (!(await pool.reserve(tx, seg.physical_network, seg.segmentation_id, networkId))) {
        throw Errors.vlanIdInUse(seg.segmentation_id, seg.physical_network ?? '');
      }
      return seg;
    },
    async allocateTenantSegment(tx, networkId) {
      const found = await allocateOn(tx, [...ranges.keys()], networkId);
      return found && { network_type: 'vlan', ...found };
    },
    async releaseSegment(tx, seg) {
      if (seg.segmentation_id !== null) await pool.release(tx, seg.physical_network, seg.segmentation_id);
    },
    getMtu: () => cfg.global_physnet_mtu,
  };
}
