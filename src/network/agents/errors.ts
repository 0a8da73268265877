import { NeutronError } from '../model/errors.js';

/** neutron_lib's dhcpagentscheduler exceptions. */
export const AgentErrors = {
  invalidDhcpAgent: (id: string) => new NeutronError('InvalidDHCPAgent', 404, `Agent ${id} is not a valid DHCP Agent or has been disabled.`),
  networkHosted: (networkId: string, agentId: string) =>
    new NeutronError('NetworkHostedByDHCPAgent', 409, `The network ${networkId} has been already hosted by the DHCP Agent ${agentId}.`),
  networkNotHosted: (networkId: string, agentId: string) =>
    new NeutronError('NetworkNotHostedByDhcpAgent', 409, `The network ${networkId} is not hosted by the DHCP Agent ${agentId}.`),
};
