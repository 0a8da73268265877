import type { Rules } from './engine.js';

/** Neutron's default rules (neutron/conf/policies), by their names */
export const networkRules: Rules = {};
