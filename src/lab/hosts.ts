// Which lab host a host name means, for commands run on the machine: `cloudlet port plug
// --host osad1` must put the tap into that host's network namespace, where its L2 agent is:
// plugPort through `new NetnsRunner(runner, labHostNetns('osad1').netns)` makes the tap there
// and its peer in the instance's namespace (named in the machine's /run/netns, which
// `ip netns exec` leaves as it is).
import { netnsPath } from '../host/linux/lab-links.js';
import { LAB_RUN_DIR } from './plan.js';
import { labNames, readState } from './state.js';

export interface LabHostNetns {
  lab: string;
  /** the namespace's name in the machine's /run/netns */
  netns: string;
  /** its path, for `ip link set DEV netns PATH` and `nsenter --net=PATH` */
  path: string;
}

/**
 * The lab host of that name (in `lab` when given, else in whichever lab has it; when several
 * do, the one whose clouds.yaml entry is `cloud`, the cloud the command talks to); undefined when no lab has it.
 */
export function labHostNetns(host: string, lab?: string, runDir = LAB_RUN_DIR, cloud?: string): LabHostNetns | undefined {
  const found: Array<LabHostNetns & { cloud?: string }> = [];
  for (const name of lab === undefined ? labNames(runDir) : [lab]) {
    const state = readState(name, runDir);
    const h = state?.topology.hosts.find((x) => x.name === host);
    if (h) found.push({ lab: name, netns: h.netns, path: netnsPath(h.netns), cloud: state?.cloud?.entry });
  }
  const byCloud = found.filter((f) => f.cloud === cloud);
  const chosen = found.length > 1 && byCloud.length > 0 ? byCloud : found;
  if (chosen.length > 1) throw new Error(`host ${host} is in several labs (${chosen.map((f) => f.lab).join(', ')}): name the lab's cloud (--os-cloud cloudlet-LAB)`);
  const f = chosen[0];
  return f && { lab: f.lab, netns: f.netns, path: f.path };
}

