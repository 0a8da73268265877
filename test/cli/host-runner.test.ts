// A host the lab knows runs its commands in its namespace; any other host here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerHostNetns, runnerForHost } from '../../src/cli/host-runner.js';
import { NetnsRunner } from '../../src/host/linux/netns-runner.js';
import { ExecRunner } from '../../src/host/linux/runner.js';

test('runnerForHost: a registered lookup puts a host in its namespace', () => {
  assert.ok(runnerForHost('osad1') instanceof ExecRunner);
  registerHostNetns((host) => (host === 'osad1' ? 'lab-osad1' : undefined));
  const r = runnerForHost('osad1');
  assert.ok(r instanceof NetnsRunner);
  assert.equal((r as NetnsRunner).netns, 'lab-osad1');
  assert.ok(runnerForHost('elsewhere') instanceof ExecRunner);
});
