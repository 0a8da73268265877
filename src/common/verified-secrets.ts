// Remembers, for a few minutes, that a secret was verified against a bcrypt hash,
// so a client that sends the same credentials on every request (docker and
// podman with Basic auth, automation logging in to Keystone again and again)
// pays bcrypt's cost once and not per request. Only a keyed digest (HMAC with a
// per-process random key) of what was verified is kept, never the secret; a
// wrong secret is never remembered, so guessing still costs bcrypt every try.
import { createHmac, randomBytes } from 'node:crypto';

export class VerifiedSecrets {
  private until = new Map<string, number>();
  private readonly key = randomBytes(32);

  constructor(
    private ttlMs = 5 * 60 * 1000,
    private max = 1024,
  ) {}

  /** `parts` must name everything the verification depended on (the stored hash too, so a changed password misses) */
  private digest(parts: string[]): string {
    const h = createHmac('sha256', this.key);
    for (const p of parts) h.update(p).update('\0');
    return h.digest('base64');
  }

  has(parts: string[], now = Date.now()): boolean {
    const d = this.digest(parts);
    const t = this.until.get(d);
    if (t === undefined) return false;
    if (t > now) return true;
    this.until.delete(d);
    return false;
  }

  remember(parts: string[], now = Date.now()): void {
    if (this.until.size >= this.max) this.until.delete(this.until.keys().next().value!);
    this.until.set(this.digest(parts), now + this.ttlMs);
  }

  clear(): void {
    this.until.clear();
  }
}
