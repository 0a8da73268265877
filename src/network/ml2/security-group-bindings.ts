import type { Tx } from '../db/database.js';
import { sgChange, type ChangeLog } from '../agents/change-log.js';
import { Errors, NeutronError } from '../model/errors.js';
import { defaultRules } from '../db/security-group-migration.js';
import { newId, now } from './context.js';

type Body = Record<string, unknown>;

/**
 * The rules Neutron gives a new group that is not a project's default one
 * (its default rule templates used_in_non_default_sg): all egress, IPv4 and IPv6.
 */
export function egressRules(groupId: string, projectId: string, at: string) {
  return defaultRules(groupId, projectId, at).filter((r) => r.direction === 'egress');
}

/**
 * Ports carry the ids of their security groups; every project has a
 * "default" group with Neutron's default rules, created on first need as
 * Neutron does (the API is src/network/ml2/security-groups.ts).
 */
export class SecurityGroupBindings {
  constructor(private changeLog: ChangeLog) {}

  async defaultGroup(tx: Tx, projectId: string): Promise<string> {
    const find = () => tx.selectFrom('security_groups').select('id').where('project_id', '=', projectId).where('name', '=', 'default').executeTakeFirst();
    const found = await find();
    if (found) return found.id;
    const t = now();
    const id = newId();
    await tx.insertInto('security_groups')
      .values({ id, project_id: projectId, name: 'default', description: 'Default security group', stateful: 1, revision_number: 1, created_at: t, updated_at: t })
      .onConflict((oc) => oc.doNothing()).execute();
    const winner = (await find())!.id;
    // a request that lost the race to create it uses the winner's, rules and all
    if (winner === id) {
      await tx.insertInto('security_group_rules').values(defaultRules(id, projectId, t)).execute();
      await this.changeLog.record(tx, sgChange('create', id));
    }
    return winner;
  }

  /**
   * Neutron's _get_security_groups_on_port: the groups must be the port's project's (any, for an admin),
   * all stateful or all not. A network-owned (trusted) port gets none at creation, whatever is asked.
   */
  private async wanted(tx: Tx, port: Body, projectId: string, explicit: boolean, isAdmin: boolean, creating: boolean): Promise<string[]> {
    const requested = port.security_groups as string[] | null | undefined;
    const owner = String(port.device_owner ?? '');
    if (port.port_security_enabled === false) {
      if (requested && requested.length) {
        throw new NeutronError('PortSecurityAndIPRequiredForSecurityGroups', 400, 'Port security must be enabled and port must have an IP address in order to use security groups.');
      }
      return [];
    }
    // Neutron gives network-owned ports (DHCP, router) no security group; the ids asked for are
    // not even read, so another project's group is neither bound nor told apart from a missing one
    if (creating && owner.startsWith('network:')) return [];
    if (requested !== null && requested !== undefined && (explicit || requested.length)) {
      const found = await tx.selectFrom('security_groups').select(['id', 'project_id', 'stateful']).where('id', 'in', requested.length ? requested : ['']).execute();
      const usable = found.filter((f) => isAdmin || !projectId || f.project_id === projectId);
      const missing = requested.filter((id) => !usable.some((f) => f.id === id));
      if (missing.length) throw Errors.securityGroupNotFound(missing.join(', '));
      if (usable.some((g) => g.stateful) && usable.some((g) => !g.stateful)) {
        throw Errors.securityGroupConflict('Cannot apply both stateful and stateless security groups on the same port at the same time');
      }
      return requested;
    }
    if (owner.startsWith('network:')) return [];
    return [await this.defaultGroup(tx, projectId)];
  }

  async bind(tx: Tx, portId: string, port: Body, projectId: string, isAdmin: boolean): Promise<void> {
    const groups = await this.wanted(tx, port, projectId, port.security_groups !== null, isAdmin, true);
    if (groups.length) await tx.insertInto('port_security_groups').values(groups.map((g) => ({ port_id: portId, security_group_id: g }))).execute();
  }

  async rebind(tx: Tx, portId: string, port: Body, projectId: string, explicit: boolean, isAdmin: boolean): Promise<void> {
    const groups = explicit || port.port_security_enabled === false
      ? await this.wanted(tx, port, projectId, explicit, isAdmin, false)
      : (port.security_groups as string[]);
    await tx.deleteFrom('port_security_groups').where('port_id', '=', portId).execute();
    if (groups.length) await tx.insertInto('port_security_groups').values(groups.map((g) => ({ port_id: portId, security_group_id: g }))).execute();
  }
}
