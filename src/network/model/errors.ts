/**
 * The one table of Neutron error types: handlers throw these, and the server
 * renders them as {"NeutronError": {type, message, detail}}.
 */
export class NeutronError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
    readonly detail = '',
  ) {
    super(message);
  }
}

const make = (type: string, status: number) => (message: string) => new NeutronError(type, status, message);

export const Errors = {
  badRequest: make('HTTPBadRequest', 400),
  invalidInput: (why: string) => new NeutronError('InvalidInput', 400, `Invalid input for operation: ${why}.`),
  notFoundPath: () => new NeutronError('HTTPNotFound', 404, 'The resource could not be found.'),
  methodNotAllowed: () => new NeutronError('HTTPMethodNotAllowed', 405, 'The server could not comply with the request since it is either malformed or otherwise incorrect.'),
  tooLarge: () => new NeutronError('HTTPRequestEntityTooLarge', 413, 'Request is too large.'),
  unsupportedMediaType: () => new NeutronError('HTTPUnsupportedMediaType', 415, 'The request media type is not supported by this server.'),
  notFound: (kind: string, id: string) =>
    new NeutronError(`${kind}NotFound`, 404, `${kind} ${id} could not be found.`),
  tagNotFound: (tag: string, resource: string, id: string) =>
    new NeutronError('TagNotFound', 404, `Tag ${tag} could not be found for ${resource} ${id}.`),
  ipAddressAlreadyAllocated: (ip: string, subnetId: string) =>
    new NeutronError('IpAddressAlreadyAllocated', 409, `IP address ${ip} already allocated in subnet ${subnetId}`),
  noMatchingServiceSubnet: (networkId: string, owner: string) =>
    new NeutronError('IpAddressGenerationFailureNoMatchingSubnet', 409, `No valid service subnet for the given device owner, network ${networkId}, service type ${owner}.`),
  ipAddressGenerationFailure: (networkId: string) =>
    new NeutronError('IpAddressGenerationFailure', 409, `No more IP addresses available on network ${networkId}.`),
  invalidIpForSubnet: (ip: string, subnetId: string) =>
    new NeutronError('InvalidIpForSubnet', 400, `IP address ${ip} does not belong to subnet ${subnetId}`),
  subnetExhausted: (subnetId: string) =>
    new NeutronError('IpAddressGenerationFailure', 409, `No more IP addresses available for subnet ${subnetId}.`),
  invalidIpForNetwork: (ip: string) =>
    new NeutronError('InvalidIpForNetwork', 400, `IP address ${ip} is not a valid IP for any of the subnets on the specified network.`),
  macAddressInUse: (networkId: string, mac: string) =>
    new NeutronError('MacAddressInUse', 409, `Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`),
  networkInUse: (networkId: string, portIds: string[]) =>
    new NeutronError(
      'NetworkInUse',
      409,
      `Unable to complete operation on network ${networkId}. There are one or more ports still in use on the network, id for these ports is: ${portIds.join(',')}.`,
    ),
  subnetInUse: (subnetId: string) =>
    new NeutronError(
      'SubnetInUse',
      409,
      `Unable to complete operation on subnet ${subnetId}: One or more ports have an IP allocation from this subnet.`,
    ),
  noNetworkAvailable: () =>
    new NeutronError('NoNetworkAvailable', 503, 'Unable to create the network. No tenant network is available for allocation.'),
  vlanIdInUse: (vlan: number, physnet: string) =>
    new NeutronError('VlanIdInUse', 409, `Unable to create the network. The VLAN ${vlan} on physical network ${physnet} is in use.`),
  tunnelIdInUse: (id: number) =>
    new NeutronError('TunnelIdInUse', 409, `Unable to create the network. The tunnel ID ${id} is in use.`),
  flatNetworkInUse: (physnet: string) =>
    new NeutronError('FlatNetworkInUse', 409, `Unable to create the flat network. Physical network ${physnet} is in use.`),
  invalidSharedSetting: (networkId: string) =>
    new NeutronError('InvalidSharedSetting', 409, `Unable to reconfigure sharing settings for network ${networkId}. Multiple tenants are using it.`),
  rbacPolicyNotFound: (id: string, objectType = 'network') =>
    new NeutronError('RbacPolicyNotFound', 404, `RBAC policy of type ${objectType} with ID ${id} not found`),
  rbacPolicyInUse: (objectId: string, details: string) =>
    new NeutronError('RbacPolicyInUse', 409, `RBAC policy on object ${objectId} cannot be removed because other objects depend on it.\nDetails: ${details}`),
  duplicateRbacPolicy: () => new NeutronError('DuplicateRbacPolicy', 409, 'An RBAC policy already exists with those values.'),
  invalidActionForType: (action: string, objectType: string, valid: readonly string[]) =>
    new NeutronError('InvalidActionForType', 400, `Invalid action '${action}' for object type '${objectType}'. Valid actions: [${valid.map((a) => `'${a}'`).join(', ')}]`),
  securityGroupNotFound: (id: string) => new NeutronError('SecurityGroupNotFound', 404, `Security group ${id} does not exist`),
  securityGroupRuleNotFound: (id: string) => new NeutronError('SecurityGroupRuleNotFound', 404, `Security group rule ${id} does not exist`),
  securityGroupInUse: (id: string) => new NeutronError('SecurityGroupInUse', 409, `Security Group ${id} in use.`),
  securityGroupCannotRemoveDefault: () => new NeutronError('SecurityGroupCannotRemoveDefault', 409, 'Insufficient rights for removing default security group.'),
  securityGroupCannotUpdateDefault: () => new NeutronError('SecurityGroupCannotUpdateDefault', 409, 'Updating default security group not allowed.'),
  securityGroupDefaultAlreadyExists: () => new NeutronError('SecurityGroupDefaultAlreadyExists', 409, 'Default security group already exists.'),
  securityGroupRuleExists: (ruleId: string) => new NeutronError('SecurityGroupRuleExists', 409, `Security group rule already exists. Rule id is ${ruleId}.`),
  duplicateSecurityGroupRuleInPost: () => new NeutronError('DuplicateSecurityGroupRuleInPost', 409, 'Duplicate Security Group Rule in POST.'),
  securityGroupConflict: (reason: string) => new NeutronError('SecurityGroupConflict', 409, `Error ${reason} while attempting the operation.`),
  /** the InvalidInput subclasses of neutron/extensions/securitygroup.py: 400, the class name as type */
  sgInvalid: (type: string, message: string) => new NeutronError(type, 400, message),
  /** neutron_lib's OverQuota: overs is printed as Python prints a list */
  overQuota: (overs: string[]) => new NeutronError('OverQuota', 409, `Quota exceeded for resources: [${overs.map((o) => `'${o}'`).join(', ')}].`),
  tenantQuotaNotFound: (projectId: string) => new NeutronError('TenantQuotaNotFound', 404, `Quota for project ${projectId} could not be found.`),
  adminRequired: (reason: string) => new NeutronError('AdminRequired', 403, `User does not have admin privileges: ${reason}.`),
  notImplemented: make('HTTPNotImplemented', 501),
  policyNotAuthorized: (action: string) =>
    new NeutronError('PolicyNotAuthorized', 403, `(rule:${action}) is disallowed by policy`),
  mechanismDriverError: (method: string) =>
    new NeutronError('MechanismDriverError', 500, `${method} failed.`),
  conflict: make('Conflict', 409),
  internal: () => new NeutronError('HTTPInternalServerError', 500, 'Request Failed: internal server error while processing your request.'),
} as const;
