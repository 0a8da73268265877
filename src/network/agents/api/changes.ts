import type { FastifyInstance } from 'fastify';
import { AGENT_API, type ChangeBatch } from '../../../agent/protocol.js';
import type { NetworkServiceConfig } from '../../config.js';
import type { Logger } from '../../../common/logging.js';
import type { AuthStrategy } from '../../api/auth.js';
import { Errors } from '../../model/errors.js';
import type { PluginContext } from '../../ml2/context.js';
import { authenticateAgent } from './agent-auth.js';
import { ChangeFeed } from '../change-feed.js';
import { startCompaction } from '../compaction.js';

/** The most entries one answer carries; a follower further behind asks again at once. */
export const CHANGE_BATCH = 500;
const DEFAULT_TIMEOUT_S = 30;
const MAX_TIMEOUT_S = 60;

function parseSince(v: unknown): number {
  if (typeof v !== 'string' || !/^\d{1,15}$/.test(v)) {
    throw Errors.badRequest(`Invalid input for since. Reason: '${String(v ?? '')}' is not a non-negative integer.`);
  }
  return Number(v);
}

function parseTimeout(v: unknown): number {
  if (v === undefined) return DEFAULT_TIMEOUT_S;
  if (typeof v !== 'string' || !/^\d{1,6}(\.\d{1,3})?$/.test(v)) {
    throw Errors.badRequest(`Invalid input for timeout. Reason: '${String(v)}' is not a number of seconds.`);
  }
  return Math.min(Number(v), MAX_TIMEOUT_S);
}

/**
 * GET {AGENT_API}/changes?since=R&timeout=S (see ChangeBatch in src/agent/protocol.ts): the
 * change log after R, oldest first, waiting up to S seconds when there is nothing newer.
 * Also runs this server's change feed (its wake-ups) and the log's compaction; both stop
 * when the app closes, and long polls then answer at once.
 */
export async function registerChangesApi(app: FastifyInstance, ctx: PluginContext, cfg: NetworkServiceConfig, log: Logger, auth: AuthStrategy): Promise<ChangeFeed> {
  const { changeLog } = ctx;
  const feed = new ChangeFeed(ctx.database, changeLog, cfg.database_url, log);
  await feed.start();
  const stopCompaction = startCompaction(changeLog, ctx.db, cfg.network.agents.change_log_keep, log);
  // preClose: a waiting long poll must answer before the server can finish closing
  app.addHook('preClose', async () => {
    stopCompaction();
    await feed.close();
  });

  app.get<{ Querystring: Record<string, unknown> }>(`${AGENT_API}/changes`, async (req, reply) => {
    await authenticateAgent(auth, req.headers, 'get_agent_changes');
    const since = parseSince(req.query.since);
    const deadline = Date.now() + parseTimeout(req.query.timeout) * 1000;
    const behind = async () => {
      const oldest = await changeLog.oldestRevision(ctx.db);
      return reply.code(410).send({
        NeutronError: { type: 'ChangeLogGone', message: `Changes after revision ${since} are no longer kept (the oldest is ${oldest}): fetch the state again.`, detail: '' },
        error: 'behind',
        oldest,
      });
    };
    for (let first = true; ; first = false) {
      const seen = feed.generation;
      const changes = await changeLog.since(ctx.db, since, CHANGE_BATCH);
      // revisions are dense, so a batch not starting at since + 1 means compaction took entries after since
      // (the last entry is always kept: a follower that is behind always gets a batch)
      if (changes.length && changes[0].revision !== since + 1) return behind();
      // a since past the log's end comes from another history (a database restored from a backup)
      if (first && !changes.length && since > (await changeLog.currentRevision(ctx.db))) return behind();
      const left = deadline - Date.now();
      if (changes.length || left <= 0 || feed.isClosed || req.raw.socket.destroyed) {
        const batch: ChangeBatch = { revision: changes.length ? changes[changes.length - 1].revision : since, changes };
        return batch;
      }
      await feed.wait(seen, left);
    }
  });
  return feed;
}
