// test/support/prerequisites.sh (npm's pretest): the suite's Debian packages are checked
// in one step before any test runs. dpkg-query is replaced by a stub here so that a
// missing package can be simulated without uninstalling anything.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const SCRIPT = 'test/support/prerequisites.sh';

function run(args: string[], notInstalled: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'cloudlet-prereq-'));
  try {
    const stub = join(dir, 'dpkg-query');
    // dpkg-query -W -f='${db:Status-Status}' PKG: the last argument is the package
    writeFileSync(stub, `#!/bin/sh\neval "p=\\$$#"\ncase " ${notInstalled.join(' ')} " in *" $p "*) printf not-installed ;; *) printf installed ;; esac\n`);
    chmodSync(stub, 0o755);
    return spawnSync('bash', [SCRIPT, ...args], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`, CLOUDLET_TEST_NO_INSTALL: '' },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('prerequisites: all installed passes silently', () => {
  const r = run(['--check']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
});

test('prerequisites: a missing package stops the run and names the apt-get command', () => {
  const r = run(['--check'], ['umoci', 'skopeo']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /missing Debian packages: skopeo umoci/);
  assert.match(r.stderr, /apt-get update && apt-get install -y skopeo umoci/);
});

test('prerequisites: every package a test names in requireTool() is on the list', () => {
  const listed = new Set(run(['--list']).stdout.trim().split('\n'));
  const named = new Set<string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('prerequisites.test.ts') && !p.endsWith('backends.test.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/requireTool\('[^']+', '([^']+)'\)/g)) named.add(m[1]);
      }
    }
  };
  walk('test');
  assert.ok(named.size >= 4, `found only ${[...named].join(', ')}`);
  // requireContainerTools() passes the tool's own name as the package
  for (const t of ['podman', 'buildah', 'skopeo', 'runc']) named.add(t);
  // Essential: yes in Debian, on every machine
  const essential = new Set(['tar', 'coreutils', 'dash', 'bsdutils']);
  const unlisted = [...named].filter((p) => !listed.has(p) && !essential.has(p));
  assert.deepEqual(unlisted, [], `named by tests but not installed by npm test: ${unlisted.join(', ')}`);
});
