import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { HtpasswdAuthenticator, parseBasic, parseHtpasswd } from '../../src/registry/auth/htpasswd.js';

const dir = mkdtempSync(join(tmpdir(), 'cloudlet-htpasswd-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// written by `htpasswd -Bbn -C 5 alice s3cret` (apache2-utils): the $2y$ prefix
const ALICE = 'alice:$2y$05$lgzEsnaJ5p9VbQaJbNA9oeJr8KMU0.g1EjqOSPB8nn0won.TIk1yi';
const BOB = `bob:${bcrypt.hashSync('hunter2', 4)}`; // $2b$
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function file(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

test('right password passes; wrong password and unknown user do not', async () => {
  const auth = await HtpasswdAuthenticator.open('Registry Realm', file('ok', ['# users', ALICE, '', BOB]));
  assert.equal(auth.realm, 'Registry Realm');
  assert.deepEqual(auth.users().sort(), ['alice', 'bob']);
  assert.equal(await auth.check(basic('alice', 's3cret')), true);
  assert.equal(await auth.check(basic('alice', 's3cret')), true, 'again, from the cache of verified credentials');
  assert.equal(await auth.check(basic('bob', 'hunter2')), true);
  assert.equal(await auth.check(basic('alice', 's3cret ')), false);
  assert.equal(await auth.check(basic('alice', 'hunter2')), false);
  assert.equal(await auth.check(basic('carol', 's3cret')), false);
  assert.equal(await auth.check(basic('Alice', 's3cret')), false, 'user names are case-sensitive');
  assert.equal(await auth.check('bAsIc ' + basic('alice', 's3cret').slice(6)), true, 'the scheme is case-insensitive');
});

test('malformed Authorization headers are refused', async () => {
  const auth = await HtpasswdAuthenticator.open('r', file('malformed', [ALICE]));
  const good = Buffer.from('alice:s3cret').toString('base64');
  for (const header of [
    undefined,
    '',
    'Basic',
    'Basic ',
    `Bearer ${good}`,
    `Basic ${good}!`,
    `Basic ${good} extra`,
    `Basic ${Buffer.from('alice').toString('base64')}`,
    `Basic ${Buffer.from(':s3cret').toString('base64')}`,
    `Basic ${'A'.repeat(9000)}`,
  ]) {
    assert.equal(await auth.check(header), false, String(header).slice(0, 40));
  }
  assert.deepEqual(parseBasic(basic('u', 'pa:ss')), { user: 'u', password: 'pa:ss' }, 'the password may hold colons');
});

test('entries that are not bcrypt are refused, as distribution refuses them', async () => {
  const lines = [
    'md5:$apr1$O0BR0nGL$0pQ3nKX8lqr/mAJOuJ1m/0', // htpasswd -m
    'sha:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=', // htpasswd -s, password "password"
    'plain:password',
    'crypt:rqXexS6ZhobKA',
    'short:$2y$05$tooshort',
    ALICE,
  ];
  const { entries, refused } = parseHtpasswd(lines.join('\n'));
  assert.deepEqual([...entries.keys()], ['alice']);
  assert.deepEqual(refused, ['md5', 'sha', 'plain', 'crypt', 'short']);
  const auth = await HtpasswdAuthenticator.open('r', file('mixed', lines));
  assert.equal(await auth.check(basic('plain', 'password')), false);
  assert.equal(await auth.check(basic('sha', 'password')), false);
  assert.equal(await auth.check(basic('alice', 's3cret')), true);
});

test('an unknown user costs a bcrypt comparison too', async () => {
  const cost = 8;
  const auth = await HtpasswdAuthenticator.open('r', file('timing', [`dave:${bcrypt.hashSync('pw', cost)}`]));
  const time = async (header: string) => {
    const t = process.hrtime.bigint();
    assert.equal(await auth.check(header), false);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  // one full cost-8 bcrypt is several milliseconds in JavaScript; a map miss alone would be microseconds
  const known = Math.min(await time(basic('dave', 'wrong')), await time(basic('dave', 'wrong2')));
  const unknown = Math.min(await time(basic('nobody', 'wrong')), await time(basic('nobody', 'wrong2')));
  assert.ok(unknown > known / 3, `unknown user ${unknown} ms vs known user ${known} ms`);
});

test('a changed file is picked up; a vanished one keeps the last good contents', async () => {
  const path = file('reload', [ALICE]);
  const auth = await HtpasswdAuthenticator.open('r', path);
  assert.equal(await auth.check(basic('bob', 'hunter2')), false);
  writeFileSync(path, BOB + '\n');
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal(await auth.check(basic('bob', 'hunter2')), true);
  assert.equal(await auth.check(basic('alice', 's3cret')), false, 'removed users are out, cache or not');
  rmSync(path);
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal(await auth.check(basic('bob', 'hunter2')), true);
});

test('a missing file stops the registry from starting', async () => {
  await assert.rejects(HtpasswdAuthenticator.open('r', join(dir, 'nope')), /ENOENT/);
});
