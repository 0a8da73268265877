// A wrong password and an unknown user must cost the same bcrypt work, or the
// answer's timing tells which user names exist. Not a benchmark: the bounds are
// wide (a skipped hash is ~100× faster than a bcrypt-10 compare), so noise on a
// busy machine cannot make this pass or fail by itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backends } from '../support/backends.js';
import { startIdentity } from '../support/identity-server.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('identity: a wrong password and an unknown user take the same time', async () => {
  const sqlite = backends().find((b) => b.name === 'sqlite')!;
  // cost 10 (production uses 12): slow enough to dominate the request, quick enough for the suite
  const id = await startIdentity(sqlite, (cfg) => { cfg.identity.password_hash_rounds = 10; });
  try {
    const admin = await id.login();
    const u = await id.call('POST', '/v3/users', { user: { name: 'timed', password: 'right-password', domain_id: 'default' } }, { 'x-auth-token': admin });
    assert.equal(u.status, 201, JSON.stringify(u.body));
    const attempt = async (name: string) => {
      const t0 = process.hrtime.bigint();
      const r = await id.call('POST', '/v3/auth/tokens', { auth: { identity: { methods: ['password'], password: { user: { name, domain: { id: 'default' }, password: 'wrong-password' } } } } });
      assert.equal(r.status, 401);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    await attempt('no-such-user'); // the dummy hash is made on first need
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      wrong.push(await attempt('timed'));
      unknown.push(await attempt('no-such-user'));
    }
    const ratio = median(unknown) / median(wrong);
    assert.ok(ratio > 0.5 && ratio < 2, `unknown user ${median(unknown).toFixed(1)} ms vs wrong password ${median(wrong).toFixed(1)} ms (ratio ${ratio.toFixed(2)})`);
    // and the cost is really bcrypt's, not a fast path for both
    assert.ok(median(wrong) > 5, `a wrong password answered in ${median(wrong).toFixed(1)} ms: no bcrypt compare?`);
  } finally {
    await id.close();
  }
});
