// A misconfigured host stops at start-up with one line naming the option, never a
// stack trace and never a half-started cloud (no data directory made).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloudlet, requireBuiltCli } from '../support/cli.js';

test('cloudlet up with a misspelt key, a wrong type, a misspelt variable or flag: one line, exit 1, nothing started', async (t) => {
  requireBuiltCli();
  const home = mkdtempSync(join(tmpdir(), 'cloudlet-cfg-cli-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const dataDir = join(home, 'data');
  const env = { PATH: process.env.PATH, HOME: home, CLOUDLET_DATA_DIR: dataDir };
  const bad = join(home, 'bad.yaml');
  const stops = async (args: string[], line: string, extra: NodeJS.ProcessEnv = {}) => {
    const r = await cloudlet(args, { ...env, ...extra });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stderr, `${line}\n`);
    assert.equal(r.stdout, '');
    assert.ok(!existsSync(dataDir), 'nothing started');
  };
  writeFileSync(bad, 'network:\n  ml2:\n    vni_range: ["1:1000"]\n');
  await stops(['up', '--config', bad, '--no-agents'], `cloudlet: config ${bad}: network.ml2.vni_range: unknown key (did you mean vni_ranges?)`);
  await stops(['network', 'serve', '--config', bad], `cloudlet: config ${bad}: network.ml2.vni_range: unknown key (did you mean vni_ranges?)`);
  writeFileSync(bad, 'network:\n  agents:\n    agent_down_time: abc\n');
  await stops(['up', '--config', bad, '--no-agents'], `cloudlet: config ${bad}: network.agents.agent_down_time: expected an integer of at least 1, got "abc"`);
  await stops(['up', '--no-agents'], 'cloudlet: config CLOUDLET_NETWORK__ML2__VNI_RANGE: network.ml2.vni_range: unknown key (did you mean CLOUDLET_NETWORK__ML2__VNI_RANGES?)', {
    CLOUDLET_NETWORK__ML2__VNI_RANGE: '1:9',
  });
  await stops(['up', '--no-agents', '--network-port', 'abc'], 'cloudlet: --network-port: not a port number: abc');
});
