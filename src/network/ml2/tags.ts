import type { Tx } from '../db/database.js';
import { portRowChange, type NewChange } from '../agents/change-log.js';
import { Errors } from '../model/errors.js';
import type { PluginContext } from './context.js';

/** The tables of the resources that carry tags. */
export type TaggedTable = 'networks' | 'subnets' | 'ports' | 'security_groups';

export const MAX_TAGS = 50;

const tooMany = () => Errors.badRequest(`Invalid input for tags. Reason: Number of tags exceeds ${MAX_TAGS}.`);

/**
 * The standard-attr-tag writes. A tag change is a change of the resource: its revision
 * moves on and agents hear of it, in the transaction that changes the tags.
 */
export class Tags {
  constructor(private ctx: PluginContext) {}

  async list(id: string): Promise<string[]> {
    return (await this.ctx.db.selectFrom('tags').select('tag').where('resource_id', '=', id).execute()).map((r) => r.tag).sort();
  }

  /** Sets the resource's tags to exactly these. */
  async replace(table: TaggedTable, id: string, tags: string[]): Promise<void> {
    if (tags.length > MAX_TAGS) throw tooMany();
    await this.ctx.tx(async (tx) => {
      await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
      if (tags.length) await tx.insertInto('tags').values(tags.map((tag) => ({ resource_id: id, tag }))).execute();
      await this.changed(tx, table, id);
    });
  }

  /** Adds one tag (nothing changes when it is there already). */
  async add(table: TaggedTable, id: string, tag: string): Promise<void> {
    await this.ctx.tx(async (tx) => {
      const have = await tx.selectFrom('tags').select('tag').where('resource_id', '=', id).execute();
      if (have.some((h) => h.tag === tag)) return;
      if (have.length >= MAX_TAGS) throw tooMany();
      await tx.insertInto('tags').values({ resource_id: id, tag }).onConflict((oc) => oc.doNothing()).execute();
      await this.changed(tx, table, id);
    });
  }

  async clear(table: TaggedTable, id: string): Promise<void> {
    await this.ctx.tx(async (tx) => {
      await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
      await this.changed(tx, table, id);
    });
  }

  /** Removes one tag; false when the resource did not have it. */
  async remove(table: TaggedTable, id: string, tag: string): Promise<boolean> {
    return this.ctx.tx(async (tx) => {
      const res = await tx.deleteFrom('tags').where('resource_id', '=', id).where('tag', '=', tag).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) return false;
      await this.changed(tx, table, id);
      return true;
    });
  }

  private async changed(tx: Tx, table: TaggedTable, id: string): Promise<void> {
    await tx.updateTable(table as 'networks').set((eb) => ({ revision_number: eb('revision_number', '+', 1) })).where('id', '=', id).execute();
    const change = await this.change(tx, table, id);
    if (change) await this.ctx.changeLog.record(tx, change);
  }

  private async change(tx: Tx, table: TaggedTable, id: string): Promise<NewChange | undefined> {
    switch (table) {
      case 'networks':
        return { resource: 'network', op: 'update', id, network_ids: [id], hosts: [] };
      case 'subnets': {
        const s = await tx.selectFrom('subnets').select('network_id').where('id', '=', id).executeTakeFirst();
        return s && { resource: 'subnet', op: 'update', id, network_ids: [s.network_id], hosts: [] };
      }
      case 'ports': {
        const p = await tx.selectFrom('ports').select(['id', 'network_id', 'binding_host_id']).where('id', '=', id).executeTakeFirst();
        return p && portRowChange('update', p);
      }
      case 'security_groups':
        return { resource: 'security_group', op: 'update', id, network_ids: [], hosts: [] };
    }
  }
}
