import { defineResource, type ResourceOf } from '../model/resource.js';
import { idAttr } from '../model/resources/common.js';
import { C, V } from '../model/validators.js';

const readOnly = { post: false, put: false } as const;

/**
 * Neutron's agent extension (neutron_lib/api/definitions/agent.py, with the
 * availability_zone and agent-resources-synced attributes): made by agents' reports
 * only, so nothing is post-able; admins may change admin_state_up and description.
 */
export const agentDef = defineResource({
  singular: 'agent',
  plural: 'agents',
  kind: 'Agent',
  table: 'agents',
  attributes: {
    id: idAttr,
    agent_type: { kind: 'string', ...readOnly },
    binary: { kind: 'string', ...readOnly },
    topic: { kind: 'string', ...readOnly },
    host: { kind: 'string', ...readOnly },
    admin_state_up: { kind: 'boolean', post: false, put: true, convert: C.boolean, validate: V.boolean() },
    created_at: { kind: 'string', ...readOnly },
    started_at: { kind: 'string', ...readOnly },
    heartbeat_timestamp: { kind: 'string', ...readOnly },
    // computed from heartbeat_timestamp and agent_down_time
    alive: { kind: 'boolean', ...readOnly, column: false, filter: true, sort: false },
    configurations: { kind: 'dict', ...readOnly },
    description: { kind: 'string', nullable: true, post: false, put: true, validate: V.stringOrNone(255) },
    availability_zone: { kind: 'string', nullable: true, ...readOnly },
    resources_synced: { kind: 'boolean', nullable: true, ...readOnly },
  },
});

export type Agent = ResourceOf<typeof agentDef>;

/** Neutron's agent timestamps as its API shows them: UTC, 'YYYY-MM-DD HH:MM:SS'. */
export const agentTime = (at: Date = new Date()): string => at.toISOString().slice(0, 19).replace('T', ' ');
