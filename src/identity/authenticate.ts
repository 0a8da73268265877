// POST /v3/auth/tokens: who the caller is (methods password, token,
// application_credential) and what the token is scoped to. Every refusal is
// the same 401, whether the user is unknown or the password wrong.
import type { Db } from './db/database.js';
import type { UserRow } from './db/schema.js';
import { effectiveRoles, namedRoles, SYSTEM, withImplied } from './assignments.js';
import { Errors, KeystoneError } from './errors.js';
import type { Passwords } from './passwords.js';
import type { Named, NewToken, TokenService, ValidatedToken } from './tokens.js';
import { isObject, type Body } from './api/validate.js';

interface Identified {
  user: UserRow;
  methods: string[];
  parent?: ValidatedToken;
  appCred?: { id: string; name: string; restricted: boolean; projectId: string; roles: Named[]; expiresAt: string | null };
}

const fail = (): KeystoneError => Errors.unauthorized();
const str = (v: unknown, field: string): string => {
  if (typeof v !== 'string' || v.length === 0 || v.length > 4096) throw Errors.validation(`Invalid input for field '${field}': expected a non-empty string`);
  return v;
};
const obj = (v: unknown, field: string): Body => {
  if (!isObject(v)) throw Errors.validation(`Invalid input for field '${field}': ${JSON.stringify(v) ?? 'undefined'} is not of type 'object'`);
  return v;
};

/** {id} or {name} of a domain → its row (null when there is none) */
async function findDomain(db: Db, ref: Body, field: string) {
  if (ref.id !== undefined) return (await db.selectFrom('domains').selectAll().where('id', '=', str(ref.id, `${field}.id`)).executeTakeFirst()) ?? null;
  if (ref.name !== undefined) return (await db.selectFrom('domains').selectAll().where('name', '=', str(ref.name, `${field}.name`)).executeTakeFirst()) ?? null;
  throw Errors.validation(`Invalid input for field '${field}': an id or a name is required`);
}

/** {id} or {name, domain} of a user → the row (null when there is none) */
async function findUser(db: Db, ref: Body, field: string): Promise<UserRow | null> {
  if (ref.id !== undefined) return (await db.selectFrom('users').selectAll().where('id', '=', str(ref.id, `${field}.id`)).executeTakeFirst()) ?? null;
  const name = str(ref.name, `${field}.name`);
  const domain = await findDomain(db, obj(ref.domain, `${field}.domain`), `${field}.domain`);
  if (!domain) return null;
  return (await db.selectFrom('users').selectAll().where('domain_id', '=', domain.id).where('name', '=', name).executeTakeFirst()) ?? null;
}

async function usable(db: Db, user: UserRow | null): Promise<UserRow> {
  if (!user || !user.enabled) throw fail();
  const d = await db.selectFrom('domains').select('enabled').where('id', '=', user.domain_id).executeTakeFirst();
  if (!d?.enabled) throw fail();
  return user;
}

async function byPassword(db: Db, passwords: Passwords, p: Body): Promise<UserRow> {
  const u = obj(p.user, 'password.user');
  const password = u.password;
  if (typeof password !== 'string') throw Errors.validation("Invalid input for field 'password.user.password': expected a string");
  const user = await findUser(db, u, 'password.user');
  // the hash is compared even for an unknown user: same time, same answer
  const ok = await passwords.verify(password, user?.password_hash ?? null);
  if (!ok) throw fail();
  return usable(db, user);
}

async function byAppCred(db: Db, passwords: Passwords, a: Body): Promise<Identified> {
  const secret = str(a.secret, 'application_credential.secret');
  let row;
  if (a.id !== undefined) {
    row = await db.selectFrom('application_credentials').selectAll().where('id', '=', str(a.id, 'application_credential.id')).executeTakeFirst();
  } else {
    const name = str(a.name, 'application_credential.name');
    const user = await findUser(db, obj(a.user, 'application_credential.user'), 'application_credential.user');
    row = user ? await db.selectFrom('application_credentials').selectAll().where('user_id', '=', user.id).where('name', '=', name).executeTakeFirst() : undefined;
  }
  const ok = await passwords.verify(secret, row?.secret_hash ?? null);
  if (!ok || !row) throw fail();
  if (row.expires_at && Date.parse(row.expires_at) <= Date.now()) throw fail();
  const user = await usable(db, (await db.selectFrom('users').selectAll().where('id', '=', row.user_id).executeTakeFirst()) ?? null);
  return {
    user,
    methods: ['application_credential'],
    appCred: { id: row.id, name: row.name, restricted: !row.unrestricted, projectId: row.project_id, roles: JSON.parse(row.roles) as Named[], expiresAt: row.expires_at },
  };
}

async function identify(db: Db, passwords: Passwords, tokens: TokenService, identity: Body): Promise<Identified> {
  const methods = identity.methods;
  if (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => typeof m === 'string')) {
    throw Errors.validation("Invalid input for field 'identity.methods': a non-empty list of strings is required");
  }
  if (methods.length !== 1) throw fail();
  const method = methods[0] as string;
  const body = identity[method];
  switch (method) {
    case 'password':
      return { user: await byPassword(db, passwords, obj(body, 'identity.password')), methods: ['password'] };
    case 'token': {
      const parent = await tokens.validate(str(obj(body, 'identity.token').id, 'identity.token.id'));
      if (!parent) throw fail();
      // an application credential's token cannot be turned into a broader one
      if (parent.claims.app_cred) throw Errors.forbiddenAction('Application credentials cannot request a scope.');
      const user = await usable(db, (await db.selectFrom('users').selectAll().where('id', '=', parent.claims.sub).executeTakeFirst()) ?? null);
      // as Keystone, the new token lists how the user first proved who they are, and `token`
      const chain = parent.claims.methods.includes('token') ? parent.claims.methods : [...parent.claims.methods, 'token'];
      return { user, methods: chain, parent };
    }
    case 'application_credential':
      return byAppCred(db, passwords, obj(body, 'identity.application_credential'));
    default:
      throw fail();
  }
}

interface Scope {
  project?: { id: string; name: string; domain: Named };
  domain?: Named;
  system?: { all: true };
}

/** Keystone's system scope: {"all": true} is the only system there is */
function systemScope(v: unknown): Scope {
  const s = obj(v, 'scope.system');
  if (s.all !== true) throw Errors.validation(`Invalid input for field 'scope.system.all': ${JSON.stringify(s.all) ?? 'undefined'}: only {"all": true} is a system scope`);
  return { system: { all: true } };
}

async function projectScope(db: Db, ref: Body): Promise<Scope> {
  // the project with its domain in one read (this is on every token issue)
  const withDomain = db
    .selectFrom('projects as p')
    .innerJoin('domains as d', 'd.id', 'p.domain_id')
    .select(['p.id', 'p.name', 'p.enabled', 'd.id as domain_id', 'd.name as domain_name', 'd.enabled as domain_enabled']);
  let p;
  if (ref.id !== undefined) p = await withDomain.where('p.id', '=', str(ref.id, 'scope.project.id')).executeTakeFirst();
  else {
    const name = str(ref.name, 'scope.project.name');
    const d = await findDomain(db, obj(ref.domain, 'scope.project.domain'), 'scope.project.domain');
    p = d ? await withDomain.where('p.domain_id', '=', d.id).where('p.name', '=', name).executeTakeFirst() : undefined;
  }
  if (!p || !p.enabled || !p.domain_enabled) throw fail();
  return { project: { id: p.id, name: p.name, domain: { id: p.domain_id, name: p.domain_name } } };
}

async function scopeOf(db: Db, auth: Body, who: Identified): Promise<Scope> {
  if (who.appCred) {
    if (auth.scope !== undefined) throw Errors.forbiddenAction('Application credentials cannot request a scope.');
    return projectScope(db, { id: who.appCred.projectId });
  }
  const scope = auth.scope;
  if (scope === undefined || scope === 'unscoped') {
    // a rescoped token without a scope keeps its parent's
    const parent = who.parent?.claims;
    if (parent?.project) return projectScope(db, { id: parent.project.id });
    if (parent?.domain) return scopeOf(db, { scope: { domain: { id: parent.domain.id } } }, { ...who, parent: undefined });
    if (parent?.system) return { system: { all: true } };
    if (!parent && who.user.default_project_id) {
      // Keystone scopes to the default project when the user has a role there
      const roles = await effectiveRoles(db, who.user.id, 'project', who.user.default_project_id);
      if (roles.length) return projectScope(db, { id: who.user.default_project_id }).catch(() => ({}));
    }
    return {};
  }
  const s = obj(scope, 'scope');
  if (s.system !== undefined) {
    // as Keystone: one scope at a time
    if (s.project !== undefined || s.domain !== undefined) throw Errors.validation('Scoping to both system and a project or a domain is not allowed');
    return systemScope(s.system);
  }
  if (s.project !== undefined) return projectScope(db, obj(s.project, 'scope.project'));
  if (s.domain !== undefined) {
    const d = await findDomain(db, obj(s.domain, 'scope.domain'), 'scope.domain');
    if (!d || !d.enabled) throw fail();
    return { domain: { id: d.id, name: d.name } };
  }
  throw Errors.validation("Invalid input for field 'scope': project, domain or system is required");
}

/** Authenticates a POST /v3/auth/tokens body and returns what the new token holds. */
export async function authenticate(db: Db, passwords: Passwords, tokens: TokenService, body: unknown): Promise<NewToken> {
  const auth = obj(obj(body, 'body').auth, 'auth');
  const who = await identify(db, passwords, tokens, obj(auth.identity, 'auth.identity'));
  const scope = await scopeOf(db, auth, who);
  const domain = await db.selectFrom('domains').select(['id', 'name']).where('id', '=', who.user.domain_id).executeTakeFirstOrThrow();
  let roles: Named[] = [];
  if (scope.project) roles = await effectiveRoles(db, who.user.id, 'project', scope.project.id);
  else if (scope.domain) roles = await effectiveRoles(db, who.user.id, 'domain', scope.domain.id);
  else if (scope.system) roles = await effectiveRoles(db, who.user.id, SYSTEM, SYSTEM);
  if (who.appCred) {
    // the delegated roles (and what they imply), as long as the user still holds them
    const delegated = await withImplied(db, who.appCred.roles.map((r) => r.id));
    const held = new Set(roles.map((r) => r.id));
    roles = await namedRoles(db, [...delegated].filter((id) => held.has(id)));
  }
  if ((scope.project || scope.domain || scope.system) && roles.length === 0) throw fail();
  let exp: number | undefined;
  if (who.parent) exp = who.parent.claims.exp;
  if (who.appCred?.expiresAt) exp = Math.floor(Date.parse(who.appCred.expiresAt) / 1000);
  return {
    sub: who.user.id,
    user: { id: who.user.id, name: who.user.name, domain: { id: domain.id, name: domain.name } },
    ...(scope.project ? { project: scope.project } : {}),
    ...(scope.domain ? { domain: scope.domain } : {}),
    ...(scope.system ? { system: scope.system } : {}),
    roles,
    methods: who.methods,
    ...(who.parent ? { parent: who.parent.auditIds[who.parent.auditIds.length - 1] } : {}),
    ...(who.appCred ? { app_cred: { id: who.appCred.id, name: who.appCred.name, restricted: who.appCred.restricted } } : {}),
    ...(exp !== undefined ? { exp } : {}),
  };
}
