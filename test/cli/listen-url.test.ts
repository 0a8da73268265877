// `cloudlet up`'s own agents reach the services where they listen, not at the
// catalog's public_host (in a lab, a forwarder only the machine reaches).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listenUrl, reachable } from '../../src/cli/up-agents.js';

test('listenUrl and reachable', () => {
  assert.equal(listenUrl('http://127.0.0.1:19696', '10.99.0.1'), 'http://10.99.0.1:19696');
  assert.equal(listenUrl('http://127.0.0.1:35357', 'fd00::1'), 'http://[fd00::1]:35357');
  assert.equal(reachable('0.0.0.0'), '127.0.0.1');
  assert.equal(reachable('::'), '::1');
  assert.equal(reachable('10.99.0.1'), '10.99.0.1');
});
