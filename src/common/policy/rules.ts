// The one table of policy rules every cloudlet service reads: Neutron's and
// Keystone's default rules under their own names.
import type { Rules } from './engine.js';
import { identityRules } from './identity-rules.js';
import { networkRules } from './network-rules.js';

export const rules: Rules = { ...networkRules, ...identityRules };
