// `cloudlet up`: every service on this machine, in one process.
import { Command } from 'commander';
import { sqliteFile } from '../common/db/sqlite-file.js';
import { CLOUD_NAME } from './bootstrap.js';
import { banner, describeDatabase } from './banner.js';
import { cloudsYamlPath, hasCloudEntry, writeCloudEntry } from './clouds-yaml.js';
import { printablePassword, serveIdentity, shownPassword } from './identity.js';
import { registryConfigFrom, startRegistry } from './registry.js';
import { checkSecretFiles } from './secret-files.js';
import { configFrom, loggerFor, run, serveNetwork, serverOptions, stopOnSignals, type ServerFlags } from './serve.js';

export function upCommand(): Command {
  const up = serverOptions(
    new Command('up').description('start every cloudlet service on this machine (identity on :35357, network API on :9696, registry on :5000)'),
    "the network API's port, as --network-port (default 9696)",
  )
    .option('--identity-port <n>', "the identity API's port (default 35357)")
    .option('--network-port <n>', "the network API's port (default 9696)")
    .option('--registry-port <n>', "the registry's port (default 5000, or REGISTRY_HTTP_ADDR's)");
  return up.action(
    run(async (flags: ServerFlags) => {
      const cfg = configFrom(flags);
      // the registry reads distribution's settings (REGISTRY_*, REGISTRY_CONFIGURATION_PATH); --registry-port over them
      const registryCfg = registryConfigFrom({ port: flags.registryPort }, cfg.data_dir, '--registry-port');
      const identity = await serveIdentity(cfg, loggerFor(flags, cfg.log_level, 'identity'), registryCfg);
      const network = await serveNetwork(cfg, loggerFor(flags, cfg.log_level, 'network'), identity.tokens);
      const registryLog = loggerFor(flags, registryCfg.logLevel ?? cfg.log_level, 'registry');
      const registry = await startRegistry(registryCfg, registryLog);
      const cloudsYaml = cloudsYamlPath();
      if (identity.adminPassword) {
        writeCloudEntry(cloudsYaml, CLOUD_NAME, { authUrl: `${identity.url}/v3`, username: 'admin', password: identity.adminPassword, projectName: 'admin', region: cfg.identity.region });
      }
      checkSecretFiles(cfg, loggerFor(flags, cfg.log_level, 'cloudlet'), [cloudsYaml, registryCfg.tls?.key, registryCfg.auth?.htpasswd.path]);
      // before the banner, which invites Ctrl-C
      stopOnSignals([network.stop, registry.stop, identity.stop], (line) => process.stdout.write(`cloudlet ${line}\n`));
      process.stdout.write(
        banner({
          identity: identity.url,
          network: network.url,
          registry: registry.url,
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
