// Where a host's links are: this machine's own network namespace, or, for a host
// of a lab on this machine (src/lab), that host's namespace. `cloudlet port plug
// --host osad1` must make the tap where osad1's L2 agent is. The lab registers
// its lookup here, so the port commands know no lab.
import { NetnsRunner } from '../host/linux/netns-runner.js';
import { ExecRunner, type Runner } from '../host/linux/runner.js';

/** a host's network namespace in this machine's /run/netns, or undefined when the host is not one of its namespaces; `cloud` (the clouds.yaml entry in use) tells labs apart */
export type HostNetnsLookup = (host: string, cloud?: string) => string | undefined;

const lookups: HostNetnsLookup[] = [];

export function registerHostNetns(lookup: HostNetnsLookup): void {
  lookups.push(lookup);
}

/** a runner for commands on `host`: inside its namespace when a lookup knows it, else here */
export function runnerForHost(host: string, cloud?: string): Runner {
  for (const lookup of lookups) {
    const netns = lookup(host, cloud);
    if (netns) return new NetnsRunner(new ExecRunner(), netns);
  }
  return new ExecRunner();
}
