// Password and secret hashing (bcrypt, keystone's default). A check for a user
// that does not exist compares against a dummy hash of the same cost, so the
// answer takes as long as for a wrong password and tells nothing.
import bcrypt from 'bcryptjs';
import { VerifiedSecrets } from '../common/verified-secrets.js';

/** bcrypt reads 72 bytes; a longer input only costs transfer, refused well before the body limit */
export const MAX_PASSWORD_LENGTH = 4096;

export class Passwords {
  private dummy: Promise<string> | undefined;
  /** a correct password checked in the last 5 minutes against the same stored hash (src/common/verified-secrets.ts) */
  private verified = new VerifiedSecrets(5 * 60 * 1000, 10_000);

  constructor(private rounds: number) {}

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.rounds);
  }

  /** true when `password` matches `hash`; a null hash (no such user, no password) costs the same and fails */
  async verify(password: string, hash: string | null | undefined): Promise<boolean> {
    if (typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH) return false;
    if (!hash) {
      this.dummy ??= bcrypt.hash('cloudlet-no-such-user', this.rounds);
      await bcrypt.compare(password, await this.dummy);
      return false;
    }
    if (this.verified.has([hash, password])) return true;
    const ok = await bcrypt.compare(password, hash);
    if (ok) this.verified.remember([hash, password]);
    return ok;
  }
}
