// What /v3/credentials and OS-EC2 share: a credential row and its plain blob
// (sealed and opened here only, never logged), Keystone's ec2 blob rules, and
// the bound a delegated token (here: an application credential's) keeps to.
import { createHash } from 'node:crypto';
import type { Db, Tx } from './db/database.js';
import { credentialKeys } from './credential-keys.js';
import type { CredentialRow } from './db/schema.js';
import { Errors } from './errors.js';
import type { ValidatedToken } from './tokens.js';
import { dbError, type Entity } from './api/entity.js';
import { isObject, type Body } from './api/validate.js';

export interface Credential {
  id: string;
  user_id: string;
  project_id: string | null;
  type: string;
  blob: string;
  extra: Body;
}

/** Keystone's utils.hash_access_key: an ec2 credential's id */
export const hashAccess = (access: string): string => createHash('sha256').update(access, 'utf8').digest('hex');

/** Keystone compares the type case-insensitively where it gives ec2 its id */
export const isEc2 = (type: unknown): boolean => typeof type === 'string' && type.toLowerCase() === 'ec2';

/** Keystone's _validate_blob_json: an ec2 blob is a JSON object with an access key */
export function ec2Blob(blob: string): Body {
  let parsed: unknown;
  try {
    parsed = JSON.parse(blob);
  } catch {
    throw Errors.badRequest('Invalid blob in credential');
  }
  if (!isObject(parsed) || !Object.keys(parsed).length) throw Errors.validation('Expecting to find blob in credential');
  // keystone hashes access as a string; anything else would be its 500
  if (typeof parsed.access !== 'string') throw Errors.validation('Expecting to find access in credential');
  return parsed;
}

/** the blob of a stored ec2 credential, as OS-EC2 reads it ({} when it is not an object) */
export function storedEc2Blob(c: Credential): Body {
  try {
    const v: unknown = JSON.parse(c.blob);
    return isObject(v) ? v : {};
  } catch {
    return {};
  }
}

export function openRow(dataDir: string, row: CredentialRow): Credential {
  const blob = credentialKeys(dataDir).open(row, row.id);
  return { id: row.id, user_id: row.user_id, project_id: row.project_id, type: row.type, blob, extra: row.extra ? (JSON.parse(row.extra) as Body) : {} };
}

const asEntity = { singular: 'credential', kind: 'credential' } as Entity;

/** 409 when the id is taken (an ec2 access key used twice) */
export async function insertCredential(db: Db | Tx, dataDir: string, c: Credential): Promise<void> {
  const sealed = credentialKeys(dataDir).seal(c.blob, c.id);
  try {
    await db
      .insertInto('credentials')
      .values({ id: c.id, user_id: c.user_id, project_id: c.project_id, type: c.type, ...sealed, extra: JSON.stringify(c.extra), created_at: new Date().toISOString() })
      .execute();
  } catch (err) {
    throw dbError(asEntity, err);
  }
}

/**
 * Keystone's _check_credential_project_scope: a delegated token (application
 * credential; trusts and OAuth1 are not served) reaches only the credentials
 * of the project it is scoped to, never a user-level one (project_id null).
 */
export function outOfDelegation(token: ValidatedToken, projectId: string | null | undefined): boolean {
  return token.claims.app_cred !== undefined && (projectId ?? null) !== (token.claims.project?.id ?? null);
}

export function checkDelegation(token: ValidatedToken, projectId: string | null | undefined, what = 'Credential'): void {
  if (outOfDelegation(token, projectId)) throw Errors.forbiddenAction(`${what} project does not match the project scope of the delegated token`);
}

/** Keystone: a restricted application credential may not make credentials that log in */
export function checkUnrestricted(token: ValidatedToken, what: string): void {
  if (token.claims.app_cred?.restricted) throw Errors.forbiddenAction(`Using method 'application_credential' is not allowed for managing additional ${what}.`);
}
