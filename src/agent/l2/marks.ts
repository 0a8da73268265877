// What the L2 agent made carries `cloudlet-l2:<network id>` as its link alias, read back
// from the kernel: links named like Neutron's (brq…, vxlan-…) without it are someone
// else's and are never changed or deleted.
const PREFIX = 'cloudlet-l2:';

export const markFor = (networkId: string): string => PREFIX + networkId;

/** the network id a link's alias marks it for, or null when the L2 agent did not make it */
export const markedNetwork = (alias: string | null): string | null => (alias?.startsWith(PREFIX) ? alias.slice(PREFIX.length) : null);

/** names the L2 agent uses for its own devices */
export const looksLikeOurs = (name: string): boolean => /^brq/.test(name) || /^vxlan-\d+$/.test(name);
