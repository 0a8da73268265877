// Which lab a host name means for `cloudlet port plug --host`: with several labs on the
// machine (each has osad1), the one whose clouds.yaml entry the command talks to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labHostNetns } from '../../src/lab/hosts.js';
import { planTopology } from '../../src/lab/plan.js';
import { writeState } from '../../src/lab/state.js';

test('labHostNetns: one lab; several told apart by their cloud; ambiguous without it', (t) => {
  const runDir = mkdtempSync(join(tmpdir(), 'cloudlet-lab-run-'));
  t.after(() => rmSync(runDir, { recursive: true, force: true }));
  for (const name of ['a', 'b']) {
    writeState({ name, dir: '/nowhere', madeDir: false, topology: planTopology({ name, hosts: 2, subnet: '10.99.0.0/24' }), made: [], processes: [], ports: { identity: 1, network: 2, registry: 3 }, cloud: { path: '/nowhere/clouds.yaml', entry: `cloudlet-${name}` } }, runDir);
  }
  assert.equal(labHostNetns('osad1', 'a', runDir)?.netns, 'a-osad1');
  assert.equal(labHostNetns('osad1', undefined, runDir, 'cloudlet-b')?.netns, 'b-osad1');
  assert.throws(() => labHostNetns('osad1', undefined, runDir), /host osad1 is in several labs \(a, b\): name the lab's cloud/);
  assert.throws(() => labHostNetns('osad1', undefined, runDir, 'some-other-cloud'), /several labs/);
  assert.equal(labHostNetns('osad7', undefined, runDir, 'cloudlet-a'), undefined);
});
