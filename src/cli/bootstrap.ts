// `cloudlet identity bootstrap`: what `keystone-manage bootstrap` does, for the
// way back from a lost admin password or clouds.yaml. Safe to run again and
// while cloudlet serves (the reset revokes the admin's tokens; running servers
// read the revocation from the database within seconds).
import { Command } from 'commander';
import type { Config } from '../config.js';
import type { Database } from '../common/db/index.js';
import type { Schema } from '../schema.js';
import { cloudsYamlPath, writeCloudEntry } from '../common/clouds-yaml.js';
import { BOOTSTRAP_PASSWORD_ENV, serviceUrls, shownPassword } from './identity.js';
import { registryConfigFrom } from './registry.js';
import { checkSecretFiles } from './secret-files.js';
import { configFrom, loggerFor, run, type ServerFlags } from './serve.js';
import { publicUrl } from './urls.js';

export const CLOUD_NAME = 'cloudlet';

/** the identity endpoint clients use, as the catalog says (it follows the flags `up` ran with), else as configured */
async function identityAuthUrl(database: Database<Schema>, cfg: Config): Promise<string> {
  const row = await database.db
    .selectFrom('endpoints')
    .innerJoin('services', 'services.id', 'endpoints.service_id')
    .select('endpoints.url')
    .where('services.type', '=', 'identity')
    .where('endpoints.interface', '=', 'public')
    .where('endpoints.region_id', '=', cfg.identity.region)
    .executeTakeFirst();
  return row?.url ?? `${publicUrl(cfg, cfg.identity.host, cfg.identity.port)}/v3`;
}

export function bootstrapCommand(): Command {
  return new Command('bootstrap')
    .description(
      'make the admin user, project, roles and catalog where missing, and set the admin password: ' +
        `--password, else ${BOOTSTRAP_PASSWORD_ENV}, else a new random one, printed once. ` +
        'An existing admin is enabled and its tokens are revoked. Writes the cloud "cloudlet" to clouds.yaml ' +
        '(OS_CLIENT_CONFIG_FILE, else ~/.config/openstack/clouds.yaml). Safe while cloudlet runs.',
    )
    .option('-c, --config <file>', 'YAML configuration file (default /etc/cloudlet/cloudlet.yaml, env CLOUDLET_CONFIG)')
    .option('--data-dir <dir>', 'where state is kept (env CLOUDLET_DATA_DIR)')
    .option('--database-url <url>', 'postgres://… for PostgreSQL; SQLite under the data dir otherwise (env CLOUDLET_DATABASE_URL)')
    .option('--password <password>', `the admin password to set (other users may see it in ps: ${BOOTSTRAP_PASSWORD_ENV} is safer)`)
    .action(
      run(async (flags: ServerFlags & { password?: string }) => {
        const cfg = configFrom(flags);
        const log = loggerFor(flags, cfg.log_level, 'identity');
        const given = flags.password ?? process.env[BOOTSTRAP_PASSWORD_ENV];
        if (given === '') throw new Error('--password: the password is empty');
        const { migrate, openDatabase } = await import('../common/db/index.js');
        const { migrations } = await import('../schema.js');
        const { bootstrap } = await import('../identity/bootstrap.js');
        const database = await openDatabase<Schema>(cfg);
        let result;
        let authUrl;
        try {
          await migrate(database, migrations);
          const urls = serviceUrls(cfg, publicUrl(cfg, cfg.identity.host, cfg.identity.port), registryConfigFrom({}, cfg.data_dir));
          result = await bootstrap(database, cfg, urls, { adminPassword: given, resetPassword: true, keepEndpointUrls: true });
          authUrl = await identityAuthUrl(database, cfg);
        } finally {
          await database.close();
        }
        const password = result.adminPassword!;
        const path = cloudsYamlPath();
        writeCloudEntry(path, CLOUD_NAME, { authUrl, username: 'admin', password, projectName: 'admin', region: cfg.identity.region });
        checkSecretFiles(cfg, log, [path]);
        const shown = given === undefined ? `: ${password}` : flags.password !== undefined ? ' given by --password' : ` ${shownPassword(password)}`;
        process.stdout.write(
          (result.created ? 'created user admin (domain Default, project admin) with password' : 'set the password of user admin (domain Default); its earlier tokens are revoked; password') +
            `${shown}\nwrote the cloud "${CLOUD_NAME}" to ${path}: try openstack --os-cloud ${CLOUD_NAME} token issue\n`,
        );
      }),
    );
}
