import type { Tx } from '../db/database.js';
import type { Resource } from '../callbacks.js';
import { resourceChange } from '../agents/change-log.js';
import type { PluginContext } from './context.js';
import type { HookName } from './types.js';

type Body = Record<string, unknown>;

export interface Ops {
  resource: Exclude<Resource, 'tag'>;
  /** loads full resources (computed attributes included) */
  load(db: Tx | PluginContext['db'], ids: string[]): Promise<Body[]>;
}

/**
 * ML2's create: write in one transaction with BEFORE/PRECOMMIT callbacks and
 * precommit drivers; then AFTER callbacks and postcommit drivers. A failed
 * postcommit deletes what was created and the error is answered, so nothing
 * stays behind.
 */
export async function createResources(
  ctx: PluginContext,
  ops: Ops,
  items: Body[],
  insert: (tx: Tx, item: Body) => Promise<string>,
  undo: (tx: Tx, id: string) => Promise<void>,
): Promise<Body[]> {
  const r = ops.resource;
  for (const item of items) await ctx.callbacks.publish({ resource: r, event: 'before_create', current: item });
  // what precommit saw is what was committed: it is the answer, without reading it again
  const created = await ctx.tx(async (tx) => {
    await ctx.quotas.enforce(tx, r, items);
    const out: Body[] = [];
    for (const item of items) {
      const id = await insert(tx, item);
      const [current] = await ops.load(tx, [id]);
      await ctx.callbacks.publish({ resource: r, event: 'precommit_create', current, tx });
      await ctx.mech.call(`create_${r}_precommit` as HookName, { resource: r, current, tx });
      out.push(current);
    }
    // last: the log's lock is held from here to the commit
    for (const current of out) await ctx.changeLog.record(tx, resourceChange(r, 'create', current));
    return out;
  });
  try {
    for (const current of created) {
      await ctx.callbacks.publish({ resource: r, event: 'after_create', current });
      await ctx.mech.call(`create_${r}_postcommit` as HookName, { resource: r, current });
    }
  } catch (err) {
    for (const current of [...created].reverse()) {
      const id = current.id as string;
      try {
        // agents may have seen the create: the removal is a change too
        await ctx.tx(async (tx) => {
          await undo(tx, id);
          await ctx.changeLog.record(tx, resourceChange(r, 'delete', current));
        });
      } catch (undoErr) {
        ctx.log.error({ resource: r, id, err: (undoErr as Error).message }, 'could not remove resource after postcommit failure');
      }
    }
    throw err;
  }
  return created;
}

/** ML2's update: precommit in the transaction, postcommit after it. */
export async function updateResource(
  ctx: PluginContext,
  ops: Ops,
  id: string,
  apply: (tx: Tx, original: Body) => Promise<void>,
  notFound: () => Error,
): Promise<Body> {
  const r = ops.resource;
  const { original, current } = await ctx.tx(async (tx) => {
    const [original] = await ops.load(tx, [id]);
    if (!original) throw notFound();
    await ctx.callbacks.publish({ resource: r, event: 'before_update', current: original });
    await apply(tx, original);
    const [current] = await ops.load(tx, [id]);
    await ctx.callbacks.publish({ resource: r, event: 'precommit_update', current, original, tx });
    await ctx.mech.call(`update_${r}_precommit` as HookName, { resource: r, current, original, tx });
    await ctx.changeLog.record(tx, resourceChange(r, 'update', current, original));
    return { original, current };
  });
  await ctx.callbacks.publish({ resource: r, event: 'after_update', current, original });
  await ctx.mech.call(`update_${r}_postcommit` as HookName, { resource: r, current, original });
  return current;
}

/** ML2's delete: postcommit failures are logged, the resource is gone either way. */
export async function deleteResource(
  ctx: PluginContext,
  ops: Ops,
  id: string,
  remove: (tx: Tx, current: Body) => Promise<void>,
  notFound: () => Error,
): Promise<void> {
  const r = ops.resource;
  const current = await ctx.tx(async (tx) => {
    const [current] = await ops.load(tx, [id]);
    if (!current) throw notFound();
    await ctx.callbacks.publish({ resource: r, event: 'before_delete', current });
    await ctx.callbacks.publish({ resource: r, event: 'precommit_delete', current, tx });
    await ctx.mech.call(`delete_${r}_precommit` as HookName, { resource: r, current, tx });
    await remove(tx, current);
    await ctx.changeLog.record(tx, resourceChange(r, 'delete', current));
    return current;
  });
  await ctx.callbacks.publish({ resource: r, event: 'after_delete', current });
  try {
    await ctx.mech.call(`delete_${r}_postcommit` as HookName, { resource: r, current });
  } catch (err) {
    ctx.log.error({ resource: r, id, err: (err as Error).message }, 'delete postcommit failed; resource deleted anyway');
  }
}
