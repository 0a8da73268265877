// The lab's topology and its ip commands, planned without root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planTopology, teardownSteps, topologySteps } from '../../src/lab/plan.js';
import { applyStep } from '../../src/host/linux/lab-links.js';
import { RecordingRunner } from '../../src/host/linux/runner.js';

test('three hosts: osad at .1, osad1 and osad2 at .11 and .12, each a namespace on the switch', () => {
  const t = planTopology({ name: 'lab', hosts: 3, subnet: '10.99.0.0/24' });
  assert.equal(t.switchNetns, 'lab-sw');
  assert.deepEqual(
    t.hosts.map((h) => [h.name, h.role, h.netns, h.address]),
    [
      ['osad', 'controller', 'lab-osad', '10.99.0.1'],
      ['osad1', 'compute', 'lab-osad1', '10.99.0.11'],
      ['osad2', 'compute', 'lab-osad2', '10.99.0.12'],
    ],
  );
  // a host part in the CIDR is ignored, as the network is what counts
  assert.equal(planTopology({ name: 'x', hosts: 2, subnet: '192.168.7.9/24' }).hosts[1]!.address, '192.168.7.11');
});

test('the ip commands: namespaces, the bridge, veths made in place, addresses, links up, each host\'s kept mount namespace', async () => {
  const runner = new RecordingRunner();
  const t = planTopology({ name: 'lab', hosts: 2, subnet: '10.99.0.0/24' });
  for (const step of topologySteps(t)) await applyStep(runner, step);
  assert.deepEqual(runner.lines(), [
    'ip netns add lab-sw',
    'ip -n lab-sw link add sw0 type bridge',
    'ip -n lab-sw link set sw0 up',
    'ip netns add lab-osad',
    'ip -n lab-osad link set lo up',
    'ip link add underlay0 netns lab-osad type veth peer name osad netns lab-sw',
    'ip -n lab-sw link set osad master sw0 up',
    'ip -n lab-osad addr add 10.99.0.1/24 dev underlay0',
    'ip -n lab-osad link set underlay0 up',
    'mkdir -p -m 0700 /run/cloudlet-lab/lab/mnt/osad',
    'mount --bind /run/cloudlet-lab/lab/mnt/osad /run/cloudlet-lab/lab/mnt/osad',
    'touch /run/cloudlet-lab/lab/mnt/osad/ns',
    'mount --make-private /run/cloudlet-lab/lab/mnt/osad',
    'unshare --mount=/run/cloudlet-lab/lab/mnt/osad/ns --propagation private true',
    'nsenter --mount=/run/cloudlet-lab/lab/mnt/osad/ns mount -t tmpfs -o mode=0755 cloudlet-lab-netns /run/netns',
    'nsenter --mount=/run/cloudlet-lab/lab/mnt/osad/ns umount --lazy /sys',
    'nsenter --mount=/run/cloudlet-lab/lab/mnt/osad/ns --net=/run/netns/lab-osad mount -t sysfs sysfs /sys',
    'ip netns add lab-osad1',
    'ip -n lab-osad1 link set lo up',
    'ip link add underlay0 netns lab-osad1 type veth peer name osad1 netns lab-sw',
    'ip -n lab-sw link set osad1 master sw0 up',
    'ip -n lab-osad1 addr add 10.99.0.11/24 dev underlay0',
    'ip -n lab-osad1 link set underlay0 up',
    'mkdir -p -m 0700 /run/cloudlet-lab/lab/mnt/osad1',
    'mount --bind /run/cloudlet-lab/lab/mnt/osad1 /run/cloudlet-lab/lab/mnt/osad1',
    'touch /run/cloudlet-lab/lab/mnt/osad1/ns',
    'mount --make-private /run/cloudlet-lab/lab/mnt/osad1',
    'unshare --mount=/run/cloudlet-lab/lab/mnt/osad1/ns --propagation private true',
    'nsenter --mount=/run/cloudlet-lab/lab/mnt/osad1/ns mount -t tmpfs -o mode=0755 cloudlet-lab-netns /run/netns',
    'nsenter --mount=/run/cloudlet-lab/lab/mnt/osad1/ns umount --lazy /sys',
    'nsenter --mount=/run/cloudlet-lab/lab/mnt/osad1/ns --net=/run/netns/lab-osad1 mount -t sysfs sysfs /sys',
  ]);
});

test('teardown deletes the namespaces made, last first', () => {
  const t = planTopology({ name: 'lab', hosts: 2, subnet: '10.99.0.0/24' });
  const steps = topologySteps(t);
  assert.deepEqual(
    teardownSteps(steps).map((s) => (s.kind === 'netns' ? s.name : s.kind === 'mntns' ? s.path : s.kind)),
    ['/run/cloudlet-lab/lab/mnt/osad1/ns', 'lab-osad1', '/run/cloudlet-lab/lab/mnt/osad/ns', 'lab-osad', 'lab-sw'],
  );
  // halfway: only what was made
  assert.deepEqual(teardownSteps(steps.slice(0, 4)).map((s) => s.kind === 'netns' && s.name), ['lab-osad', 'lab-sw']);
});

test('bad options: a clear message each', () => {
  assert.throws(() => planTopology({ name: 'Lab!', hosts: 3, subnet: '10.99.0.0/24' }), /--name: a lowercase letter/);
  assert.throws(() => planTopology({ name: 'lab', hosts: 0, subnet: '10.99.0.0/24' }), /--hosts: a whole number/);
  assert.throws(() => planTopology({ name: 'lab', hosts: 3, subnet: '10.99.0/24' }), /--subnet: an IPv4 CIDR/);
  assert.throws(() => planTopology({ name: 'lab', hosts: 3, subnet: '10.99.0.0/29' }), /no room for 3 hosts/);
  assert.throws(() => planTopology({ name: 'lab', hosts: 3, subnet: '10.99.0.256/24' }), /--subnet/);
});
