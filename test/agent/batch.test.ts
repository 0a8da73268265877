import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runEach } from '../../src/host/linux/batch.js';
import { RecordingRunner, type Command } from '../../src/host/linux/runner.js';
import { exec, Lab, requireRootNetworking } from './l2-lab.js';
import { listLinks } from '../../src/host/linux/links.js';
import { NetnsRunner } from '../../src/host/linux/netns-runner.js';

const ipSet = (n: number): Command => ({ argv: ['ip', 'link', 'set', 'dev', `d${n}`, 'up'] });

test('batch: runs of ip commands go through one ip -batch, short runs and other programs one by one', async () => {
  const r = new RecordingRunner();
  const cmds = [ipSet(1), ipSet(2), ipSet(3), ipSet(4), { argv: ['bridge', 'fdb', 'show'] } as Command, ipSet(5), { argv: ['ip', 'link', 'set', 'dev', 'x y'] } as Command];
  assert.deepEqual(await runEach(r, cmds), new Map());
  assert.deepEqual(r.lines(), ['ip -batch -', 'bridge fdb show', 'ip link set dev d5 up', 'ip link set dev x y']);
  assert.equal(r.commands[0].input, 'link set dev d1 up\nlink set dev d2 up\nlink set dev d3 up\nlink set dev d4 up\n');
});

test('batch as root: a failing line is reported by its index and the lines after it still run', async () => {
  requireRootNetworking();
  const lab = new Lab();
  try {
    const ns = await lab.netns('clbt');
    const runner = new NetnsRunner(exec, ns);
    const add = (name: string): Command => ({ argv: ['ip', 'link', 'add', name, 'type', 'bridge'] });
    const failed = await runEach(runner, [add('b1'), { argv: ['ip', 'link', 'set', 'dev', 'nope', 'up'] }, add('b2'), add('b3'), { argv: ['ip', 'link', 'del', 'dev', 'nope2'] }, add('b4')]);
    assert.deepEqual([...failed.keys()], [1, 4]);
    assert.match(failed.get(1)!.message, /ip link set dev nope up: exit \d+: Cannot find device "nope"/);
    assert.deepEqual((await listLinks(runner)).map((l) => l.name).sort(), ['b1', 'b2', 'b3', 'b4', 'lo']);
  } finally {
    await lab.cleanup();
  }
});
