import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLinkEvent } from '../../src/host/linux/link-watch.js';

test('link events: a new tap, one in a bridge, a deleted one, and lines that are not events', () => {
  assert.deepEqual(parseLinkEvent('130: tapzzqq1@tapzzqq2: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN group default \\    link/ether ae:2c:84:5b:91:f2 brd ff:ff:ff:ff:ff:ff'), { name: 'tapzzqq1', deleted: false });
  assert.deepEqual(parseLinkEvent('130: tapzzqq1@if7: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1450 qdisc noqueue master brq1234567890a state LOWERLAYERDOWN \\    link/ether ae:2c:84:5b:91:f2'), {
    name: 'tapzzqq1',
    deleted: false,
    master: 'brq1234567890a',
  });
  assert.deepEqual(parseLinkEvent('Deleted 130: tapzzqq1@NONE: <BROADCAST,MULTICAST> mtu 1500 master brzzqq state DOWN'), { name: 'tapzzqq1', deleted: true, master: 'brzzqq' });
  assert.deepEqual(parseLinkEvent('131: brzzqq: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default'), { name: 'brzzqq', deleted: false });
  assert.equal(parseLinkEvent(''), null);
  assert.equal(parseLinkEvent('    link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff'), null);
});
