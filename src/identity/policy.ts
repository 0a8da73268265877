import { allOf, always, anyOf, hasRole, isAdmin, isSystemScoped, type Check, type Rules } from '../common/policy/engine.js';

// Keystone's default rules (keystone/common/policies), by their names. The admin
// role on the system (a system-scoped token) passes wherever `isAdmin` does, and so
// does, as in Keystone's legacy policy, the admin role on any project or domain.

/** the target is the caller's own user */
const ownUser: Check = (c, t) => c.userId !== undefined && t.user_id === c.userId;
/** the target is (in) the project the caller's token is scoped to */
const ownProject: Check = (c, t) => c.projectId !== undefined && t.project_id === c.projectId;
/** the target is (in) the domain the caller's token is scoped to */
const ownDomain: Check = (c, t) => c.domainId !== undefined && t.domain_id === c.domainId;
/** the target domain holds the project the caller's token is scoped to */
const ownProjectDomain: Check = (c, t) => c.projectDomainId !== undefined && t.domain_id === c.projectDomainId;
/** the target user is in the domain the caller's token is scoped to (a membership's other half) */
const ownUserDomain: Check = (c, t) => c.domainId !== undefined && t.user_domain_id === c.domainId;
const reader = hasRole('reader');
/** keystone's SYSTEM_READER (role:reader and system_scope:all), or an admin */
const systemReader = anyOf(isAdmin, allOf(reader, isSystemScoped));
const adminOrOwner = anyOf(isAdmin, ownUser);

/** create, update and delete of an entity: admins only */
const adminWrites = (name: string): Rules => ({
  [`identity:create_${name}`]: isAdmin,
  [`identity:update_${name}`]: isAdmin,
  [`identity:delete_${name}`]: isAdmin,
});

export const rules: Rules = {
  // tokens: admins, and the token's own user
  'identity:check_token': adminOrOwner,
  'identity:validate_token': adminOrOwner,
  'identity:revoke_token': adminOrOwner,
  'identity:get_auth_catalog': always,
  'identity:get_auth_projects': always,
  'identity:get_auth_domains': always,

  // keystone: token.domain.id or token.project.domain.id is the target's, whatever the role
  'identity:get_domain': anyOf(isAdmin, ownDomain, ownProjectDomain),
  'identity:list_domains': isAdmin,
  ...adminWrites('domain'),

  'identity:get_project': anyOf(isAdmin, allOf(reader, anyOf(ownProject, ownDomain))),
  'identity:list_projects': anyOf(isAdmin, allOf(reader, ownDomain)),
  'identity:list_user_projects': adminOrOwner,
  ...adminWrites('project'),
  // keystone: a domain's readers and anyone with a role on the project may look;
  // admins and the domain's managers write (project members may not)
  'identity:list_project_tags': anyOf(isAdmin, allOf(reader, ownDomain), ownProject),
  'identity:get_project_tag': anyOf(isAdmin, allOf(reader, ownDomain), ownProject),
  'identity:update_project_tags': anyOf(isAdmin, allOf(hasRole('manager'), ownDomain)),
  'identity:create_project_tag': anyOf(isAdmin, allOf(hasRole('manager'), ownDomain)),
  'identity:delete_project_tag': anyOf(isAdmin, allOf(hasRole('manager'), ownDomain)),
  'identity:delete_project_tags': anyOf(isAdmin, allOf(hasRole('manager'), ownDomain)),

  'identity:get_user': anyOf(isAdmin, ownUser, allOf(reader, ownDomain)),
  'identity:list_users': anyOf(isAdmin, allOf(reader, ownDomain)),
  ...adminWrites('user'),

  // keystone: readers of the group's domain may look; the user may list its own groups
  'identity:get_group': anyOf(isAdmin, allOf(reader, ownDomain)),
  'identity:list_groups': anyOf(isAdmin, allOf(reader, ownDomain)),
  'identity:list_groups_for_user': anyOf(isAdmin, ownUser, allOf(reader, ownDomain)),
  'identity:list_users_in_group': anyOf(isAdmin, allOf(reader, ownDomain)),
  'identity:check_user_in_group': anyOf(isAdmin, allOf(reader, ownDomain, ownUserDomain)),
  'identity:add_user_to_group': isAdmin,
  'identity:remove_user_from_group': isAdmin,
  ...adminWrites('group'),

  'identity:get_role': isAdmin,
  'identity:list_roles': isAdmin,
  ...adminWrites('role'),
  'identity:get_implied_role': isAdmin,
  'identity:check_implied_role': isAdmin,
  'identity:list_implied_roles': isAdmin,
  'identity:list_role_inference_rules': isAdmin,
  'identity:create_implied_role': isAdmin,
  'identity:delete_implied_role': isAdmin,

  'identity:list_role_assignments': isAdmin,
  'identity:check_grant': isAdmin,
  'identity:list_grants': isAdmin,
  'identity:create_grant': isAdmin,
  'identity:revoke_grant': isAdmin,
  // grants on the system: keystone's system readers look, admins grant
  ...Object.fromEntries(
    (['user', 'group'] as const).flatMap((actor) => [
      [`identity:check_system_grant_for_${actor}`, systemReader],
      [`identity:list_system_grants_for_${actor}`, systemReader],
      [`identity:create_system_grant_for_${actor}`, isAdmin],
      [`identity:revoke_system_grant_for_${actor}`, isAdmin],
    ]),
  ),

  'identity:get_region': always,
  'identity:list_regions': always,
  ...adminWrites('region'),
  'identity:get_service': isAdmin,
  'identity:list_services': isAdmin,
  ...adminWrites('service'),
  'identity:get_endpoint': isAdmin,
  'identity:list_endpoints': isAdmin,
  ...adminWrites('endpoint'),

  'identity:get_application_credential': adminOrOwner,
  'identity:list_application_credentials': adminOrOwner,
  'identity:create_application_credential': ownUser,
  'identity:delete_application_credential': adminOrOwner,

  // keystone: admins, and the credential's own user (the target's user_id is the credential's);
  // creating or deleting an EC2 credential takes the member role too
  'identity:get_credential': adminOrOwner,
  'identity:list_credentials': adminOrOwner,
  'identity:create_credential': adminOrOwner,
  'identity:update_credential': adminOrOwner,
  'identity:delete_credential': adminOrOwner,
  'identity:ec2_get_credential': adminOrOwner,
  'identity:ec2_list_credentials': adminOrOwner,
  'identity:ec2_create_credential': anyOf(isAdmin, allOf(hasRole('member'), ownUser)),
  'identity:ec2_delete_credential': anyOf(isAdmin, allOf(hasRole('member'), ownUser)),

  // the deprecated policy API, OAuth1 consumers and endpoint groups: admins (system scope in keystone)
  'identity:get_policy': isAdmin,
  'identity:list_policies': isAdmin,
  ...adminWrites('policy'),
  'identity:get_consumer': isAdmin,
  'identity:list_consumers': isAdmin,
  ...adminWrites('consumer'),
  'identity:get_endpoint_group': isAdmin,
  'identity:list_endpoint_groups': isAdmin,
  ...adminWrites('endpoint_group'),
  'identity:list_endpoints_associated_with_endpoint_group': isAdmin,
  'identity:list_projects_associated_with_endpoint_group': isAdmin,
  'identity:list_endpoint_groups_for_project': isAdmin,
  'identity:get_endpoint_group_in_project': isAdmin,
  'identity:add_endpoint_group_to_project': isAdmin,
  'identity:remove_endpoint_group_from_project': isAdmin,
};
