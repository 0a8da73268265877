// The policy engine: named rules (oslo.policy's names, e.g. "create_network",
// "create_network:shared", "identity:create_project"), each a check over the
// caller's credentials and the target resource. Each service keeps its own table of
// rules (src/network/model/policy-rules.ts, src/identity/policy.ts) and asks allowed(rules,
// name, ...); nothing tests roles itself.

/** who is asking, as a validated token says */
export interface Credentials {
  userId?: string;
  /** the project the token is scoped to */
  projectId?: string;
  /** the domain the token is scoped to (domain-scoped token) */
  domainId?: string;
  /** the domain of the project the token is scoped to */
  projectDomainId?: string;
  /** role names, implied roles included (admin implies member implies reader) */
  roles: string[];
  /** a system-scoped token (Keystone's system_scope:all): the roles hold on the whole cloud */
  system?: boolean;
}

/** the resource acted on: its attributes (project_id, shared, ...) */
export type Target = Record<string, unknown>;

export type Check = (c: Credentials, t: Target) => boolean;

export const hasRole =
  (name: string): Check =>
  (c) =>
    c.roles.includes(name);

export const isAdmin: Check = hasRole('admin');

/** the token is system-scoped (oslo.policy's system_scope:all) */
export const isSystemScoped: Check = (c) => c.system === true;

/** the target belongs to the caller's project */
export const ownsTarget: Check = (c, t) => c.projectId !== undefined && (t.project_id ?? t.tenant_id) === c.projectId;

export const anyOf =
  (...checks: Check[]): Check =>
  (c, t) =>
    checks.some((k) => k(c, t));

export const allOf =
  (...checks: Check[]): Check =>
  (c, t) =>
    checks.every((k) => k(c, t));

export const always: Check = () => true;

export type Rules = Readonly<Record<string, Check>>;

/** true when the rule allows it; a rule nobody wrote allows admins only (oslo.policy's default rule is admin_or_owner; ours is stricter) */
export function allowed(rules: Rules, name: string, c: Credentials, t: Target = {}): boolean {
  const rule = rules[name];
  return rule ? rule(c, t) : isAdmin(c, t);
}
