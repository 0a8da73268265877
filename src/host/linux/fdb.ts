// The bridge forwarding database: `bridge -json fdb show` read into typed entries, and the
// entries l2population writes on a VXLAN device (flood `00:00:00:00:00:00 dst VTEP`, and one
// static unicast entry per remote MAC).
import type { Command, Runner } from './runner.js';

export const FLOOD_MAC = '00:00:00:00:00:00';

export interface FdbEntry {
  mac: string;
  /** the device the entry is on (absent from `show dev X` output: then X) */
  dev: string;
  /** the remote VTEP of a VXLAN entry */
  dst: string | null;
  /** the bridge, for entries in a bridge's table (not the device's own) */
  master: string | null;
  state: string;
  flags: string[];
}

interface RawFdb {
  mac: string;
  ifname?: string;
  dst?: string;
  master?: string;
  state?: string;
  flags?: string[];
}

export function parseFdb(json: string, dev = ''): FdbEntry[] {
  const raw = (json.trim() ? JSON.parse(json) : []) as RawFdb[];
  return raw.map((e) => ({
    mac: e.mac.toLowerCase(),
    dev: e.ifname ?? dev,
    dst: e.dst ?? null,
    master: e.master ?? null,
    state: e.state ?? '',
    flags: e.flags ?? [],
  }));
}

export const showFdbCommand = (dev?: string): Command => ({ argv: ['bridge', '-json', 'fdb', 'show', ...(dev ? ['dev', dev] : [])] });

/** every entry, or those of one device */
export async function listFdb(runner: Runner, dev?: string): Promise<FdbEntry[]> {
  return parseFdb((await runner.run(showFdbCommand(dev))).stdout, dev);
}

/** `bridge fdb append MAC dev DEV dst IP`: one more destination (the flood list takes several) */
export const fdbAppendCommand = (mac: string, dev: string, dst: string): Command => ({ argv: ['bridge', 'fdb', 'append', mac, 'dev', dev, 'dst', dst] });

/** `bridge fdb replace MAC dev DEV dst IP static`: one destination for a unicast MAC */
export const fdbReplaceCommand = (mac: string, dev: string, dst: string): Command => ({ argv: ['bridge', 'fdb', 'replace', mac, 'dev', dev, 'dst', dst, 'static'] });

export const fdbDelCommand = (mac: string, dev: string, dst?: string): Command => ({ argv: ['bridge', 'fdb', 'del', mac, 'dev', dev, ...(dst ? ['dst', dst] : [])] });
