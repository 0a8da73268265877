// `cloudlet up`: every service on this machine, in one process, and (as root with
// iproute2 and dnsmasq) the L2 and DHCP agents of this host.
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { Command } from 'commander';
import { sqliteFile } from '../common/db/sqlite-file.js';
import { CLOUD_NAME } from './bootstrap.js';
import { banner, describeDatabase } from './banner.js';
import { cloudsYamlPath, hasCloudEntry, writeCloudEntry } from '../common/clouds-yaml.js';
import { printablePassword, serveIdentity, shownPassword } from './identity.js';
import { registryConfigFrom, startRegistry } from './registry.js';
import { checkSecretFiles } from './secret-files.js';
import { startLocalAgents } from './up-agents.js';
import { configFrom, loggerFor, run, serveNetwork, serverOptions, stopOnSignals, type ServerFlags } from './serve.js';

interface UpFlags extends ServerFlags {
  bind?: string;
  host?: string;
  agentStateDir?: string;
  /** false with --no-agents */
  agents?: boolean;
}

export function upCommand(): Command {
  const up = serverOptions(
    new Command('up').description('start every cloudlet service on this machine (identity on :35357, network API on :9696, registry on :5000)'),
    "the network API's port, as --network-port (default 9696)",
  )
    .option('--identity-port <n>', "the identity API's port (default 35357)")
    .option('--network-port <n>', "the network API's port (default 9696)")
    .option('--registry-port <n>', "the registry's port (default 5000, or REGISTRY_HTTP_ADDR's)")
    .option('--bind <addr>', 'the address every service listens on (default 127.0.0.1)')
    .option('--host <name>', "the host name of this machine's agents (binding:host_id of its ports; default the hostname)")
    .option('--agent-state-dir <dir>', "where the agents keep dnsmasq's files (default /var/lib/cloudlet/agents/<host>, which dnsmasq reads as nobody)")
    .option('--no-agents', 'do not start the L2 and DHCP agents of this host');
  return up.action(
    run(async (flags: UpFlags) => {
      const cfg = configFrom(flags);
      // the registry reads distribution's settings (REGISTRY_*, REGISTRY_CONFIGURATION_PATH); --registry-port over them
      const registryCfg = registryConfigFrom({ port: flags.registryPort }, cfg.data_dir, '--registry-port');
      if (flags.bind !== undefined) {
        if (!isIP(flags.bind)) throw new Error(`--bind: not an IP address: ${flags.bind}`);
        cfg.identity.host = cfg.network.host = registryCfg.host = flags.bind;
      }
      const identity = await serveIdentity(cfg, loggerFor(flags, cfg.log_level, 'identity'), registryCfg);
      const network = await serveNetwork(cfg, loggerFor(flags, cfg.log_level, 'network'), identity.tokens);
      const registryLog = loggerFor(flags, registryCfg.logLevel ?? cfg.log_level, 'registry');
      const registry = await startRegistry(registryCfg, registryLog);
      const cloudsYaml = cloudsYamlPath();
      if (identity.adminPassword) {
        writeCloudEntry(cloudsYaml, CLOUD_NAME, { authUrl: `${identity.url}/v3`, username: 'admin', password: identity.adminPassword, projectName: 'admin', region: cfg.identity.region });
      }
      checkSecretFiles(cfg, loggerFor(flags, cfg.log_level, 'cloudlet'), [cloudsYaml, registryCfg.tls?.key, registryCfg.auth?.htpasswd.path]);
      const host = flags.host ?? hostname();
      const agents = flags.agents === false
        ? { summary: 'not started (--no-agents)', stop: async () => {} }
        : await startLocalAgents(cfg, { host, stateDir: flags.agentStateDir }, { identity: identity.url, network: network.url }, (service) => loggerFor(flags, cfg.log_level, service));
      // before the banner, which invites Ctrl-C; the agents first (they talk to the servers)
      stopOnSignals([agents.stop, network.stop, registry.stop, identity.stop], (line) => process.stdout.write(`cloudlet ${line}\n`));
      process.stdout.write(
        banner({
          identity: identity.url,
          network: network.url,
          registry: registry.url,
          agents: agents.summary,
          dataDir: cfg.data_dir,
          database: describeDatabase(cfg.database_url, sqliteFile(cfg)),
          cloudsYaml,
          hasCloud: hasCloudEntry(cloudsYaml, CLOUD_NAME),
          cloud: CLOUD_NAME,
          createdPassword: identity.adminPassword && shownPassword(identity.adminPassword),
          printPassword: printablePassword(identity.adminPassword),
        }),
      );
    }),
  );
}
