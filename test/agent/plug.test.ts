import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { plugPort, PlugError, unplugPort } from '../../src/agent/plug.js';
import { tapName } from '../../src/agent/protocol.js';
import { getLink, listLinks } from '../../src/host/linux/links.js';
import { NetnsRunner } from '../../src/host/linux/netns-runner.js';
import { RecordingRunner } from '../../src/host/linux/runner.js';
import { exec, isMutating, Lab, requireRootNetworking, sh, TeeRunner } from './l2-lab.js';

const spec = { portId: 'abcdef01-2345-4678-9abc-def012345678', mac: 'fa:16:3e:12:34:56', mtu: 1450, netns: 'inst' };

test('plug: bad input is refused before any command', async () => {
  for (const [over, msg] of [
    [{ mac: 'fa:16:3e:12:34' }, /invalid MAC/],
    [{ mac: '01:16:3e:12:34:56' }, /invalid MAC/],
    [{ ifname: 'a-name-far-too-long' }, /invalid interface name/],
    [{ ifname: 'eth 0' }, /invalid interface name/],
    [{ mtu: 20 }, /invalid MTU/],
  ] as const) {
    const r = new RecordingRunner();
    await assert.rejects(plugPort(r, { ...spec, ...over }), (e: Error) => e instanceof PlugError && msg.test(e.message));
    assert.deepEqual(r.lines(), []);
  }
});

test('plug: a namespace that does not exist is named in the error, nothing is made', async () => {
  const r = new RecordingRunner({ 'ip -n inst -json -d link show': { code: 255, stderr: 'Cannot open network namespace "inst": No such file or directory\n' } });
  await assert.rejects(plugPort(r, spec), /network namespace "inst" does not exist/);
  assert.deepEqual(r.lines().filter(isMutating), []);
});

test('plug and unplug as root: the veth pair, idempotent, refusals, the peer gone with the tap', async () => {
  requireRootNetworking();
  const lab = new Lab();
  try {
    const host = await lab.netns('clph');
    const inst = await lab.netns('clpi');
    const other = await lab.netns('clpo');
    const runner = new TeeRunner(new NetnsRunner(exec, host));
    const s = { ...spec, portId: randomUUID(), netns: inst };
    const tap = tapName(s.portId);

    assert.deepEqual(await plugPort(runner, s), { tap, changed: true });
    const hostSide = (await getLink(runner, tap))!;
    assert.equal(hostSide.kind, 'veth');
    assert.equal(hostSide.up, true);
    assert.equal(hostSide.mtu, 1450);
    assert.equal(hostSide.master, null, 'left for the L2 agent to enslave');
    const eth0 = (await getLink(exec, 'eth0', inst))!;
    assert.equal(eth0.address, s.mac);
    assert.equal(eth0.mtu, 1450);
    assert.equal(eth0.up, true);

    runner.lines.length = 0;
    assert.deepEqual(await plugPort(runner, s), { tap, changed: false }, 'plugged the same way: nothing to do');
    assert.deepEqual(runner.lines.filter(isMutating), []);

    runner.lines.length = 0;
    assert.deepEqual(await plugPort(runner, { ...s, mtu: 1400 }), { tap, changed: true });
    assert.deepEqual(runner.lines.filter(isMutating), [`ip -n ${inst} link set dev eth0 mtu 1400`, `ip link set dev ${tap} mtu 1400`]);

    await assert.rejects(plugPort(runner, { ...s, netns: other }), /exists but is not plugged into .* as eth0/, 'the same port elsewhere');
    await assert.rejects(plugPort(runner, { ...s, ifname: 'eth1' }), /exists but is not plugged/);
    await assert.rejects(plugPort(runner, { ...s, portId: randomUUID() }), /already has an interface eth0/);
    assert.deepEqual((await listLinks(exec, other)).map((l) => l.name), ['lo'], 'a refusal makes nothing');

    assert.equal(await unplugPort(runner, s.portId), true);
    assert.equal(await getLink(runner, tap), null);
    assert.equal(await getLink(exec, 'eth0', inst), null, 'the peer went with the tap');
    assert.equal(await unplugPort(runner, s.portId), false);

    // a device named like a tap that is not a veth: neither plugged over nor deleted
    const odd = randomUUID();
    await sh(['ip', '-n', host, 'link', 'add', tapName(odd), 'type', 'bridge']);
    await assert.rejects(plugPort(runner, { ...s, portId: odd }), /exists but is not plugged/);
    await assert.rejects(unplugPort(runner, odd), /not a plugged port's veth: left alone/);
    assert.ok(await getLink(runner, tapName(odd)));
  } finally {
    await lab.cleanup();
  }
});
