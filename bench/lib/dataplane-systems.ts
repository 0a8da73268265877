// The two data planes bench:dataplane measures, behind one interface: cloudlet (`cloudlet up
// --no-agents` + `cloudlet agent l2|dhcp` as their own processes) and Neutron (neutron-server,
// neutron-linuxbridge-agent, neutron-dhcp-agent, rabbitmq via bench/anchors/neutron-agents.sh).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { sh } from './dataplane-kernel.js';
import { processTree } from './rss.js';
import { freePort, killTrees, runAnchor, tempDir } from './servers.js';
import { waitReady } from './http.js';
import { alive } from '../../src/host/linux/lab-processes.js';

export interface DataPlane {
  name: string;
  url: string;
  /** binding:host_id of the ports its agents serve */
  host: string;
  headers(): Record<string, string>;
  /** (re)starts the L2 and DHCP agents; resolves once they are spawned */
  startAgents(): Promise<void>;
  stopAgents(): Promise<void>;
  /** whether both agents say they finished the full sync that follows their last start */
  agentsSynced(expectedTaps: string[]): boolean;
  /** the agents' processes (their helpers too; never dnsmasq) */
  agentPids(): number[];
  /** how many times an agent died and was started again (Neutron's, as systemd would) */
  restarts?(): number;
  /** everything stopped and removed (kernel objects included); safe to call twice */
  stop(): Promise<void>;
}

const sizeOf = (f: string): number => (existsSync(f) ? statSync(f).size : 0);
const readFrom = (f: string, offset: number): string => {
  if (!existsSync(f)) return '';
  return readFileSync(f).subarray(offset).toString('utf8');
};

/** a fresh veth end with `ip`/32, the hosts' VXLAN endpoint (this kernel has no dummy links) */
async function vtep(name: string, ip: string): Promise<void> {
  await sh(['ip', 'link', 'add', name, 'type', 'veth', 'peer', 'name', `${name.slice(0, -1)}y`]);
  await sh(['ip', 'link', 'set', `${name.slice(0, -1)}y`, 'up']);
  await sh(['ip', 'addr', 'add', `${ip}/32`, 'dev', name]);
  await sh(['ip', 'link', 'set', name, 'up']);
}

/** cloudlet: `cloudlet up --no-agents` in a temp data dir, its two agents as their own processes */
export async function startCloudletPlane(entry: string, removeKernel: () => Promise<void>, keepLogs = false): Promise<DataPlane> {
  const dir = tempDir('dataplane');
  chmodSync(dir, 0o755); // dnsmasq drops to nobody only where nobody can read its files (as Neutron's)
  const data = join(dir, 'data');
  const [idPort, netPort, regPort] = [await freePort(), await freePort(), await freePort()];
  const tag = netPort.toString(36);
  const host = `cb${tag}`;
  const vx = `cb${tag}vx`;
  const localIp = `10.${(netPort >> 8) & 255}.${netPort & 255}.2`;
  // a VNI range of its own: the root namespace is shared with other runs
  const vniLo = netPort * 100 + 1;
  const env = {
    ...process.env,
    OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'),
    CLOUDLET_NETWORK__ML2__VNI_RANGES: `${vniLo}:${vniLo + 998}`,
  };
  for (const r of ['network', 'subnet', 'port']) env[`CLOUDLET_NETWORK__QUOTAS__QUOTA_${r.toUpperCase()}`] = '-1';
  const node = [process.execPath, '--max-semi-space-size=2', entry];
  const upLog = openSync(join(dir, 'up.log'), 'w');
  const up = spawn(node[0]!, [...node.slice(1), 'up', '--no-agents', '--data-dir', data, '--identity-port', String(idPort), '--network-port', String(netPort), '--registry-port', String(regPort), '--host', host, '--log-format', 'json'], { stdio: ['ignore', upLog, upLog], detached: true, env });
  closeSync(upLog);
  let agents: ChildProcess[] = [];
  let logs: string[] = [];
  let starts = 0;
  let stopped = false;
  const url = `http://127.0.0.1:${netPort}`;
  const stopAgents = async (): Promise<void> => {
    await killTrees(agents.map((a) => a.pid!).filter(Boolean));
    agents = [];
  };
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stopAgents();
    if (up.pid) await killTrees([up.pid], up.pid);
    await removeKernel();
    for (const [pid, cmd] of (await import('./dataplane-kernel.js')).dnsmasqs()) if (cmd.includes(dir)) process.kill(pid, 'SIGTERM');
    await sh(['ip', 'link', 'del', vx], true);
    if (keepLogs) process.stderr.write(`cloudlet's data dir and logs kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (!(await waitReady(url, 60_000, () => up.exitCode === null))) throw new Error(`cloudlet up did not answer on ${url}; log ${join(dir, 'up.log')}:\n${readFileSync(join(dir, 'up.log'), 'utf8').slice(-2000)}`);
    // clouds.yaml is written once every service answers
    for (let i = 0; i < 300 && !existsSync(join(dir, 'clouds.yaml')); i++) await new Promise((r) => setTimeout(r, 100));
    await vtep(vx, localIp);
    const cloud = (parseYaml(readFileSync(join(dir, 'clouds.yaml'), 'utf8')) as { clouds: Record<string, { auth: { auth_url: string; password: string } }> }).clouds.cloudlet!.auth;
    const token = await adminToken(cloud.auth_url, cloud.password);
    writeFileSync(
      join(dir, 'agent.yaml'),
      [
        'agent:',
        `  server: ${url}`,
        `  auth_url: ${cloud.auth_url}`,
        '  username: cloudlet-agent',
        `  password_file: ${join(data, 'agent-password')}`,
        `  state_dir: ${join(dir, 'agents')}`,
        'l2:',
        `  local_ip: ${localIp}`,
        '',
      ].join('\n'),
    );
    const plane: DataPlane = {
      name: 'cloudlet',
      url,
      host,
      headers: () => ({ 'x-auth-token': token }),
      async startAgents() {
        starts++;
        logs = ['l2', 'dhcp'].map((k) => join(dir, `${k}-${starts}.log`));
        agents = ['l2', 'dhcp'].map((kind, i) => {
          const fd = openSync(logs[i]!, 'w');
          const child = spawn(node[0]!, [...node.slice(1), 'agent', kind, '--host', host, '-c', join(dir, 'agent.yaml'), '--log-format', 'json'], { stdio: ['ignore', fd, fd], env });
          closeSync(fd);
          return child;
        });
      },
      stopAgents,
      agentsSynced: () => logs.length === 2 && logs.every((f) => readFrom(f, 0).includes('full sync done')),
      agentPids: () => agents.flatMap((a) => (a.pid && alive(a.pid) ? processTree(a.pid) : [])),
      stop,
    };
    // as the anchor does for Neutron: the agents run when the data plane is handed over
    await plane.startAgents();
    return plane;
  } catch (e) {
    await stop();
    throw e;
  }
}

async function adminToken(authUrl: string, password: string): Promise<string> {
  const res = await fetch(`${authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password } } },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    }),
  });
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token) throw new Error(`keystone token: HTTP ${res.status}`);
  return token;
}

/** Neutron via bench/anchors/neutron-agents.sh PORT DIR (installs Debian's packages on first use). */
export async function startNeutronPlane(script: string, beforeStop: () => Promise<void>, keepLogs = false): Promise<DataPlane> {
  const port = await freePort(true);
  const { dir, code, out, err, pgid } = await runAnchor(script, port, 'neutron-agents');
  // dnsmasq runs as nobody and reads its hosts file again on each SIGHUP: a 0700 temp dir
  // would hide it, and no port would ever get a lease
  chmodSync(dir, 0o755);
  const etc = join(dir, 'etc');
  let stopped = false;
  /** set while the agents are being stopped: a supervised agent that exits then is not started again */
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    stopping = true;
    await beforeStop();
    await sh(['bash', script, 'stop', dir], true);
    if (pgid) await killTrees([], pgid);
    if (keepLogs) process.stderr.write(`Neutron's logs kept in ${dir}/logs\n`);
    else rmSync(dir, { recursive: true, force: true });
  };
  if (code !== 0 || out.trim().split(/\s+/).length < 6) {
    await stop();
    throw new Error(`${script} failed (exit ${code}): ${err.trim()}`);
  }
  const lbLog = join(dir, 'logs/linuxbridge-agent.log');
  const dhcpLog = join(dir, 'logs/dhcp-agent.log');
  let offsets = [sizeOf(lbLog), sizeOf(dhcpLog)];
  let restarts = 0;
  // the agents and their privsep helpers: every process started with the agents' config file
  const agentPids = (): number[] => {
    const out: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
        if (cmd.includes(join(etc, 'agent.conf')) && !cmd.startsWith('sudo')) out.push(Number(name));
      } catch {
        /* gone */
      }
    }
    return out;
  };
  const setPids = (lb: number, dhcp: number): void => {
    const f = join(dir, 'pids');
    const kept = readFileSync(f, 'utf8').split('\n').filter((l) => l && !/^(LB|DHCP)_AGENT_PID=/.test(l));
    writeFileSync(f, [...kept, `LB_AGENT_PID=${lb}`, `DHCP_AGENT_PID=${dhcp}`, ''].join('\n'));
  };
  return {
    name: 'neutron',
    url: `http://127.0.0.1:${port}`,
    host: `na${port}`,
    headers: () => ({}),
    async startAgents() {
      offsets = [sizeOf(lbLog), sizeOf(dhcpLog)];
      stopping = false;
      // as Debian's units (Restart=on-failure) and the anchor: an agent that dies is started again
      const supervise = (argv: string[], out: string): ChildProcess => {
        const fd = openSync(join(dir, 'logs', out), 'a');
        const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd] });
        closeSync(fd);
        c.once('exit', (code) => {
          if (stopping || code === 0) return;
          restarts++;
          setTimeout(() => void (!stopping && supervise(argv, out)), 100);
        });
        return c;
      };
      const lb = supervise(['neutron-linuxbridge-agent', '--config-file', join(etc, 'agent.conf'), '--config-file', join(etc, 'linuxbridge_agent.ini'), '--log-file', lbLog], 'linuxbridge-agent.stdout');
      const dhcp = supervise(['neutron-dhcp-agent', '--config-file', join(etc, 'agent.conf'), '--config-file', join(etc, 'dhcp_agent.ini'), '--log-file', dhcpLog], 'dhcp-agent.stdout');
      setPids(lb.pid!, dhcp.pid!);
    },
    async stopAgents() {
      stopping = true;
      // the anchor's supervising shells first (they would start the agents again), then the agents
      const pids = readFileSync(join(dir, 'pids'), 'utf8');
      const supervisors = [...pids.matchAll(/^(?:LB|DHCP)_AGENT_PID=(\d+)$/gm)].map((m) => Number(m[1])).filter((p) => !agentPids().includes(p));
      await killTrees(supervisors);
      await killTrees(agentPids());
    },
    restarts: () => restarts,
    agentsSynced(expectedTaps) {
      const dh = readFrom(dhcpLog, offsets[1]!);
      if (!dh.includes('Synchronizing state complete')) return false;
      const lb = readFrom(lbLog, offsets[0]!);
      const seen = new Set<string>();
      for (const m of lb.matchAll(/Port (tap[0-9a-f-]+) updated\. Details/g)) seen.add(m[1]!);
      return expectedTaps.every((t) => seen.has(t));
    },
    agentPids,
    stop,
  };
}
