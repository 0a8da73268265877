// `cloudlet status`: whether each service answers and each agent is alive, in a
// few lines, with the credentials a client command uses (clouds.yaml / OS_*).
// Exits 1 when a service does not answer.
import { Command } from 'commander';
import { KeystoneSession, networkError } from '../common/keystone-session.js';
import { osCredentials } from './os-credentials.js';
import { run } from './serve.js';

const SERVICES: Array<[string, string]> = [['identity', 'identity'], ['network', 'network'], ['registry', 'image-registry']];

/** "answering" or why not: any HTTP answer counts (the registry's /v2/ may ask for credentials) */
async function answers(url: string): Promise<string> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
    await r.arrayBuffer();
    return r.status < 500 ? 'answering' : `answering ${r.status}`;
  } catch (err) {
    return `not answering: ${networkError(url, err).message.replace(/^cannot reach [^:]+:\/\/[^:]+(:\d+)?: /, '')}`;
  }
}

export function statusCommand(): Command {
  return new Command('status')
    .description('the services (answering?) and the agents (alive?) of the cloud in clouds.yaml / OS_*')
    .option('--os-cloud <name>', 'the clouds.yaml entry (env OS_CLOUD; default cloud "cloudlet" when neither OS_CLOUD nor OS_AUTH_URL is set)')
    .action(
      run(async (flags: { osCloud?: string }) => {
        const osCloud = flags.osCloud ?? (process.env.OS_CLOUD || process.env.OS_AUTH_URL ? undefined : 'cloudlet');
        const session = new KeystoneSession(osCredentials({ osCloud }));
        const row = (k: string, v: string) => `  ${k.padEnd(10)}${v}\n`;
        let out = 'services\n';
        let down = false;
        const identity = await answers(session.authUrl);
        out += row('identity', `${session.authUrl}  ${identity}`);
        if (identity !== 'answering') {
          process.stdout.write(out);
          process.exit(1);
        }
        for (const [name, type] of SERVICES.slice(1)) {
          let url: string;
          try {
            url = await session.endpoint(type);
          } catch (err) {
            out += row(name, (err as Error).message);
            down = true;
            continue;
          }
          const a = await answers(type === 'image-registry' ? `${url}/v2/` : url);
          down ||= a.startsWith('not');
          out += row(name, `${url}  ${a}`);
        }
        out += 'agents\n';
        try {
          const network = await session.endpoint('network');
          const { agents } = await session.json<{ agents: Array<{ agent_type: string; host: string; alive: boolean; admin_state_up: boolean }> }>('GET', `${network}/v2.0/agents`);
          if (!agents.length) out += '  none\n';
          // columns as wide as their longest entry: host names are the operator's
          const typeWidth = Math.max(...agents.map((a) => a.agent_type.length)) + 2;
          const hostWidth = Math.max(...agents.map((a) => a.host.length)) + 2;
          for (const a of agents) out += row('', `${a.agent_type.padEnd(typeWidth)}${a.host.padEnd(hostWidth)}${a.alive ? 'alive' : 'DEAD'}${a.admin_state_up ? '' : ' (admin down)'}`);
        } catch (err) {
          out += row('', `unknown: ${(err as Error).message}`);
        }
        process.stdout.write(out);
        if (down) process.exit(1);
      }),
    );
}
