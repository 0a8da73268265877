import type { Tx } from '../../common/db/index.js';
import { Errors, NeutronError } from '../api/errors.js';
import { newId, now } from './context.js';

type Body = Record<string, unknown>;

/**
 * Ports carry the ids of their security groups; every project has a
 * "default" group, created on first need as Neutron does. The security group
 * API itself arrives with the security-group issue.
 */
export class SecurityGroupBindings {
  async defaultGroup(tx: Tx, projectId: string): Promise<string> {
    const find = () => tx.selectFrom('security_groups').select('id').where('project_id', '=', projectId).where('name', '=', 'default').executeTakeFirst();
    const found = await find();
    if (found) return found.id;
    const t = now();
    await tx.insertInto('security_groups')
      .values({ id: newId(), project_id: projectId, name: 'default', description: 'Default security group', created_at: t, updated_at: t })
      .onConflict((oc) => oc.doNothing()).execute();
    return (await find())!.id;
  }

  private async wanted(tx: Tx, port: Body, projectId: string, explicit: boolean): Promise<string[]> {
    const requested = port.security_groups as string[] | null | undefined;
    const owner = String(port.device_owner ?? '');
    if (port.port_security_enabled === false) {
      if (requested && requested.length) {
        throw new NeutronError('PortSecurityAndIPRequiredForSecurityGroups', 400, 'Port security must be enabled and port must have an IP address in order to use security groups.');
      }
      return [];
    }
    if (requested !== null && requested !== undefined && (explicit || requested.length)) {
      const found = await tx.selectFrom('security_groups').select('id').where('id', 'in', requested.length ? requested : ['']).execute();
      const missing = requested.find((id) => !found.some((f) => f.id === id));
      if (missing) throw new NeutronError('SecurityGroupNotFound', 404, `Security group ${missing} does not exist`);
      return requested;
    }
    // Neutron gives network-owned ports (DHCP, router) no security group
    if (owner.startsWith('network:')) return [];
    return [await this.defaultGroup(tx, projectId)];
  }

  async bind(tx: Tx, portId: string, port: Body, projectId: string): Promise<void> {
    const groups = await this.wanted(tx, port, projectId, port.security_groups !== null);
    if (groups.length) await tx.insertInto('port_security_groups').values(groups.map((g) => ({ port_id: portId, security_group_id: g }))).execute();
  }

  async rebind(tx: Tx, portId: string, port: Body, projectId: string, explicit: boolean): Promise<void> {
    const groups = explicit || port.port_security_enabled === false
      ? await this.wanted(tx, port, projectId, explicit)
      : (port.security_groups as string[]);
    await tx.deleteFrom('port_security_groups').where('port_id', '=', portId).execute();
    if (groups.length) await tx.insertInto('port_security_groups').values(groups.map((g) => ({ port_id: portId, security_group_id: g }))).execute();
  }
}
