// Tokens are compact JWS (EdDSA, Ed25519) whose payload holds everything a
// validation needs, so validating is: the signature, the expiry, then the
// in-memory revocation list. No database access on that path. A signature
// already verified is remembered for a few minutes (keyed digest of the whole
// token, as keystonemiddleware caches validations), so a token presented again
// and again costs an HMAC, not an Ed25519 verify; expiry and revocation are
// still checked every time.
import { randomBytes } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import type { Credentials } from '../common/policy/engine.js';
import type { Db, Tx } from './db/database.js';
import { VerifiedSecrets } from '../common/verified-secrets.js';
import { SYSTEM } from './assignments.js';
import { ensureKeys, keyDirVersion, loadKeys, type SigningKey } from './keys.js';
import { newEvent, RevocationList, type RevocationEvent, type RevocationMatch } from './revocation.js';

export interface Named {
  id: string;
  name: string;
}

export interface NamedInDomain extends Named {
  domain: Named;
}

/** The signed payload (JWT claim names where JWT has one). */
export interface TokenClaims {
  /** the user's id */
  sub: string;
  user: NamedInDomain;
  project?: NamedInDomain;
  domain?: Named;
  /** a system-scoped token, as Keystone's body says it */
  system?: { all: true };
  /** implied roles included */
  roles: Named[];
  methods: string[];
  /** seconds since the epoch, with milliseconds: revocations compare at that precision */
  iat: number;
  exp: number;
  /** the audit id */
  jti: string;
  /** the audit id of the token this one was made from (method token), as Keystone's audit chain */
  parent?: string;
  app_cred?: { id: string; name: string; restricted: boolean };
}

/** A token that passed validation. */
export interface ValidatedToken {
  claims: TokenClaims;
  /** [this token's audit id, the chain's first] as Keystone's audit_ids */
  auditIds: string[];
  issuedAt: Date;
  expiresAt: Date;
  /** what the policy engine needs */
  credentials: Credentials;
}

export type NewToken = Omit<TokenClaims, 'iat' | 'exp' | 'jti'> & { exp?: number };

/** 16 random bytes, URL-safe base64 without padding: Keystone's audit id format */
export const auditId = (): string => randomBytes(16).toString('base64url');

export class TokenService {
  private keys: SigningKey[] = [];
  private keysVersion = -2;
  /** signatures verified lately, by (kid, token); forgotten when the keys change */
  private verifiedSignatures = new VerifiedSecrets(5 * 60 * 1000, 8192);
  readonly revocations: RevocationList;

  private constructor(
    private dataDir: string,
    readonly lifetimeSeconds: number,
  ) {
    this.revocations = new RevocationList(lifetimeSeconds);
  }

  /** Loads the signing keys (making the first one if there is none) and the revocation events. */
  static async open(dataDir: string, lifetimeSeconds: number, db: Db): Promise<TokenService> {
    const t = new TokenService(dataDir, lifetimeSeconds);
    t.keys = ensureKeys(dataDir);
    t.keysVersion = keyDirVersion(dataDir);
    await t.revocations.load(db);
    return t;
  }

  /** Re-reads the key directory when `rotate-keys` changed it (one stat per call). */
  private reloadKeys(): void {
    const v = keyDirVersion(this.dataDir);
    if (v === this.keysVersion) return;
    const keys = loadKeys(this.dataDir);
    if (keys.length) this.keys = keys;
    this.keysVersion = v;
    this.verifiedSignatures.clear();
  }

  async issue(t: NewToken, now = Date.now()): Promise<{ token: string; claims: TokenClaims; validated: ValidatedToken | null }> {
    this.reloadKeys();
    const key = this.keys[this.keys.length - 1];
    const iat = now / 1000;
    // the full lifetime from the moment of issue, as Keystone's (a whole second here made a
    // token of `token_expiration: 1` live anything from 0 to 1 s)
    const exp = Math.min(t.exp ?? Infinity, (now + this.lifetimeSeconds * 1000) / 1000);
    const claims: TokenClaims = { ...t, iat, exp, jti: auditId() };
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
      .sign(key.privateKey);
    // what validate() would answer, without verifying the signature just made (a verify per issue)
    return { token, claims, validated: this.describe(claims, now) };
  }

  /** The token's claims when it is genuine, unexpired and unrevoked; null otherwise. */
  async validate(token: string, now = Date.now()): Promise<ValidatedToken | null> {
    if (typeof token !== 'string' || token.length > 16384) return null;
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return null;
    }
    let key = this.keys.find((k) => k.kid === kid);
    if (!key) {
      this.reloadKeys();
      key = this.keys.find((k) => k.kid === kid);
      if (!key) return null;
    }
    let claims: TokenClaims;
    try {
      if (this.verifiedSignatures.has([key.kid, token], now)) {
        claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as TokenClaims;
      } else {
        const { payload } = await compactVerify(token, key.publicKey, { algorithms: ['EdDSA'] });
        claims = JSON.parse(new TextDecoder().decode(payload)) as TokenClaims;
        this.verifiedSignatures.remember([key.kid, token], now);
      }
    } catch {
      return null;
    }
    return this.describe(claims, now);
  }

  /** What validation answers for claims whose signature is known good: null when expired or revoked. */
  private describe(claims: TokenClaims, now: number): ValidatedToken | null {
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return null;
    const issuedAt = claims.iat * 1000;
    const auditIds = claims.parent ? [claims.jti, claims.parent] : [claims.jti];
    const domainIds = [claims.user.domain.id];
    if (claims.project) domainIds.push(claims.project.domain.id);
    if (claims.domain) domainIds.push(claims.domain.id);
    // no domain has the id 'system' (ids are generated): an event on it reaches system-scoped tokens only
    if (claims.system) domainIds.push(SYSTEM);
    const revoked = this.revocations.isRevoked({
      auditIds,
      userId: claims.sub,
      projectId: claims.project?.id,
      domainIds,
      roleIds: claims.roles.map((r) => r.id),
      appCredId: claims.app_cred?.id,
      issuedAt,
    });
    if (revoked) return null;
    return {
      claims,
      auditIds,
      issuedAt: new Date(issuedAt),
      expiresAt: new Date(Math.round(claims.exp * 1000)),
      credentials: {
        userId: claims.sub,
        projectId: claims.project?.id,
        projectDomainId: claims.project?.domain.id,
        domainId: claims.domain?.id,
        roles: claims.roles.map((r) => r.name),
        ...(claims.system ? { system: true } : {}),
      },
    };
  }

  /** Records revocations in the caller's transaction; call remember() with the result once it committed. */
  async record(tx: Tx | Db, matches: RevocationMatch[]): Promise<RevocationEvent[]> {
    const events = matches.map((m) => newEvent(m));
    // in slices: one statement for thousands of events (a large group's members) would pass
    // SQLite's and PostgreSQL's limits on bound values
    for (let i = 0; i < events.length; i += 500) await tx.insertInto('revocation_events').values(events.slice(i, i + 500)).execute();
    return events;
  }

  remember(events: RevocationEvent[]): void {
    for (const e of events) this.revocations.add(e);
  }

  /** Picks up revocations made by other servers sharing the database. */
  refresh(db: Db): Promise<void> {
    return this.revocations.load(db);
  }

  /**
   * Refreshes every `ms` (off the validation path: a revocation made by another
   * process sharing the database takes effect here within that time); returns the stop.
   */
  refreshEvery(db: Db, ms: number, onError: (err: unknown) => void): () => void {
    const timer = setInterval(() => this.refresh(db).catch(onError), ms);
    timer.unref();
    return () => clearInterval(timer);
  }
}

/** how often a server re-reads the revocations others made */
export const REVOCATION_REFRESH_MS = 5000;
