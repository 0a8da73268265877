// Reads the kernel state the L2 planner needs, through the Linux adapter.
import { listFdb } from '../../host/linux/fdb.js';
import { listLinks } from '../../host/linux/links.js';
import { listNeigh } from '../../host/linux/neigh.js';
import type { Runner } from '../../host/linux/runner.js';
import { markedNetwork } from './marks.js';
import type { KernelState } from './plan.js';

/**
 * Every link, and the FDB and permanent neighbour entries of the agent's VXLAN devices:
 * for a full reconcile in one read each; for a partial one, of the devices of the
 * networks in `scope` only.
 */
export async function readKernel(runner: Runner, scope?: ReadonlySet<string>): Promise<KernelState> {
  const links = await listLinks(runner);
  const vxlans = links.filter((l) => l.kind === 'vxlan' && markedNetwork(l.alias) !== null);
  if (!scope) {
    if (vxlans.length === 0) return { links, fdb: [], neigh: [] };
    const [fdb, neigh] = await Promise.all([listFdb(runner), listNeigh(runner, { permanentOnly: true })]);
    return { links, fdb, neigh };
  }
  const mine = vxlans.filter((l) => scope.has(markedNetwork(l.alias)!));
  const [fdb, neigh] = await Promise.all([
    Promise.all(mine.map((l) => listFdb(runner, l.name))),
    Promise.all(mine.map((l) => listNeigh(runner, { dev: l.name, permanentOnly: true }))),
  ]);
  return { links, fdb: fdb.flat(), neigh: neigh.flat() };
}
