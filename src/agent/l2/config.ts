/** The L2 agent's own settings (Neutron's [vxlan] local_ip and [linux_bridge] physical_interface_mappings). */
export interface L2Config {
  /** this host's tunnel endpoint; without it VXLAN networks are not served */
  localIp?: string;
  /** physical network name → interface (physnet1: eth1) for flat and vlan networks */
  physicalInterfaceMappings: Record<string, string>;
}

/** IANA's VXLAN port, as Neutron's default (vxlan udp_dstport) */
export const VXLAN_PORT = 4789;
