// Faults in a lab, where the unit tests (test/agent/runtime.test.ts: fake servers) cannot
// reach: a real agent process with a wrong password, a running agent whose user is disabled
// (its tokens revoked) then enabled again, and a bridge named like cloudlet's but made by
// someone else. Each: the agent keeps running and retrying, says why, and touches nothing not its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { mountNsPath } from '../../src/lab/plan.js';
import { readState } from '../../src/lab/state.js';
import { CLI } from '../support/cli.js';
import { bridgeOf, labUp, sleep, until, type Lab, type Port } from './lab-support.js';

interface Agent {
  id: string;
  host: string;
  agent_type: string;
  heartbeat_timestamp: string;
  configurations: Record<string, unknown>;
}

test('faults: wrong password, revoked tokens, a foreign brq bridge', async (t) => {
  const lab = await labUp(t, 2);
  const agents = async () => (await lab.api<{ agents: Agent[] }>('GET', '/agents')).agents;
  const logLines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

  await t.test('an agent with a wrong password: keeps running, says why, retries, never reports', async () => {
    const cfgPath = join(lab.dir, 'osad1.yaml');
    const cfg = parse(readFileSync(cfgPath, 'utf8')) as { agent: Record<string, unknown> };
    const secret = 'not-the-password-x9';
    writeFileSync(join(lab.dir, 'wrong-password'), `${secret}\n`, { mode: 0o600 });
    const badCfg = join(lab.dir, 'badpw.yaml');
    writeFileSync(badCfg, stringify({ ...cfg, agent: { ...cfg.agent, password_file: join(lab.dir, 'wrong-password'), state_dir: join(lab.dir, 'state', 'badpw') } }), { mode: 0o600 });
    // in osad1, where the agent's underlay reaches the server
    const child = spawn('nsenter', [`--net=/run/netns/${lab.netnsOf('osad1')}`, `--mount=${mountNsPath(lab.name, 'osad1')}`, process.execPath, CLI, 'agent', 'l2', '--host', 'badpw', '--config', badCfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let exited: number | null | undefined;
    child.on('exit', (code) => (exited = code));
    t.after(() => child.kill('SIGKILL'));
    await until('two refused attempts', async () => ((out.match(/refused user cloudlet-agent/g) ?? []).length >= 2 ? true : undefined), 30_000);
    assert.equal(exited, undefined, `the agent is still running:\n${out}`);
    assert.match(out, /retrying in \d/);
    assert.ok(!out.includes(secret), 'the password is not logged');
    assert.ok(!(await agents()).some((a) => a.host === 'badpw'), 'it never reported');
    child.kill('SIGTERM');
    await until('the agent stops on SIGTERM', async () => (exited !== undefined ? true : undefined), 10_000);
  });

  await t.test("the agent user disabled (its tokens revoked): the running agent retries, no crash; enabled again, it is back in step", async () => {
    const users = (await (await fetch(`${identityUrl(lab)}/users?name=cloudlet-agent`, { headers: { 'x-auth-token': await adminToken(lab) } })).json()) as { users: Array<{ id: string }> };
    const agentUser = users.users[0]!.id;
    const setEnabled = async (enabled: boolean) => {
      const res = await fetch(`${identityUrl(lab)}/users/${agentUser}`, { method: 'PATCH', headers: { 'x-auth-token': await adminToken(lab), 'content-type': 'application/json' }, body: JSON.stringify({ user: { enabled } }) });
      assert.equal(res.status, 200, await res.text());
    };
    const log = join(lab.dir, 'logs', 'osad1-l2.log');
    const pid = readState(lab.name)!.processes.find((p) => p.name === 'osad1-l2')!.pid;
    const mark = logLines(log).length;
    await setEnabled(false);
    try {
      await until('the agent sees its token refused and retries', async () => (logLines(log).slice(mark).some((l) => /retrying in/.test(l)) ? true : undefined), 60_000);
    } finally {
      await setEnabled(true);
    }
    await until('back in step', async () => (logLines(log).slice(mark).some((l) => /in step with the server again/.test(l)) ? true : undefined), 90_000);
    assert.equal(readState(lab.name)!.processes.find((p) => p.name === 'osad1-l2')!.pid, pid);
    assert.ok(readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('agent\0l2'), 'the same agent process runs');
    // and it reports again: the heartbeat moves on
    const beat = async () => (await agents()).find((a) => a.host === 'osad1' && a.agent_type === 'Linux bridge agent')!.heartbeat_timestamp;
    const first = await beat();
    await until('a new heartbeat', async () => ((await beat()) !== first ? true : undefined), 30_000);
  });

  await t.test("a brq bridge someone else made for a network: left alone, the network reported not wired there", async () => {
    const { network } = await lab.api<{ network: { id: string } }>('POST', '/networks', { network: { name: 'f', 'provider:network_type': 'vxlan' } });
    await lab.api('POST', '/subnets', { subnet: { network_id: network.id, ip_version: 4, cidr: '10.5.0.0/24' } });
    const ns = lab.netnsOf('osad1');
    const br = bridgeOf(network.id);
    const stranger = 'brqnotours12';
    for (const name of [br, stranger]) await lab.sh(['ip', '-n', ns, 'link', 'add', name, 'type', 'bridge']);
    const before = (await lab.links('osad1')).filter((l) => l.ifname === br || l.ifname === stranger);
    const { port } = await lab.api<{ port: Port }>('POST', '/ports', { port: { network_id: network.id, name: 'f1' } });
    await lab.plug('osad1', port.id, await lab.instance('f1'), false);
    await until('the L2 agent reports the network not wired', async () => {
      const a = (await agents()).find((x) => x.host === 'osad1' && x.agent_type === 'Linux bridge agent')!;
      const problems = a.configurations.network_problems as Record<string, string> | undefined;
      return problems?.[network.id]?.includes('was not made by cloudlet') ? true : undefined;
    }, 30_000);
    await sleep(500);
    const after = await lab.links('osad1');
    for (const b of before) {
      const now = after.find((l) => l.ifname === b.ifname);
      assert.equal(now?.ifindex, b.ifindex, `${b.ifname} is still there, the same`);
      assert.equal(now?.ifalias, undefined, `${b.ifname} got no alias`);
      assert.deepEqual(after.filter((l) => l.master === b.ifname).map((l) => l.ifname), [], `nothing was put into ${b.ifname}`);
    }
    assert.equal((await lab.api<{ port: Port }>('GET', `/ports/${port.id}`)).port.status, 'DOWN', 'the port is not wired');
    const foreign = (await agents()).find((x) => x.host === 'osad1' && x.agent_type === 'Linux bridge agent')!.configurations.foreign_devices as string[];
    assert.ok(foreign.includes(stranger) && foreign.includes(br), `the agent lists both as foreign: ${JSON.stringify(foreign)}`);
  });
});

const identityUrl = (lab: Lab) => `http://127.0.0.1:${readState(lab.name)!.ports.identity}/v3`;
const adminToken = (lab: Lab): Promise<string> => lab.renewToken();
