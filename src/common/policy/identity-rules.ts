import type { Rules } from './engine.js';

/** Keystone's default rules (keystone/common/policies), by their names */
export const identityRules: Rules = {};
