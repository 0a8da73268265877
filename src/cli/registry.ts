// `cloudlet registry …`, and the registry's part of `cloudlet up`.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../config.js';
import type { Logger } from '../common/logging.js';
import { warnTooOpen } from '../common/private-files.js';
import { HtpasswdAuthenticator } from '../registry/auth/htpasswd.js';
import { makeSelfSignedCert, type KeyType } from '../registry/cert.js';
import { loadRegistryConfig, type RegistryConfig } from '../registry/config.js';
import { loggerFor, portNumber, run, stopOnSignals } from './serve.js';

export interface RegistryFlags {
  config?: string;
  dataDir?: string;
  port?: string;
  logFormat?: string;
}

/** The registry's settings for `registry serve`: --config is distribution's config.yml; data_dir comes from cloudlet's own configuration. */
export function registryConfigFrom(flags: RegistryFlags, dataDir = loadConfig().data_dir, portFlag = '--port'): RegistryConfig {
  return loadRegistryConfig({ file: flags.config, dataDir, flags: { port: portNumber(portFlag, flags.port), dataDir: flags.dataDir } });
}

/** distribution's ":5000" means every interface: IPv6 and IPv4 where the host has IPv6, IPv4 otherwise. */
async function listen(app: FastifyInstance, host: string | undefined, port: number): Promise<void> {
  if (host !== undefined) return void (await app.listen({ host, port }));
  try {
    await app.listen({ host: '::', port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw err;
    await app.listen({ host: '0.0.0.0', port });
  }
}

export interface RunningRegistry {
  app: FastifyInstance;
  /** e.g. https://[::]:5000 */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts the registry as configured: htpasswd and TLS files are read now, so a bad one stops the start. */
export async function startRegistry(cfg: RegistryConfig, log: Logger): Promise<RunningRegistry> {
  // loaded when served: `network serve` should not carry the registry in memory
  const { createRegistryServer } = await import('../registry/server.js');
  const auth = cfg.auth ? await HtpasswdAuthenticator.open(cfg.auth.htpasswd.realm, cfg.auth.htpasswd.path, log) : undefined;
  const https = cfg.tls ? { cert: await readFile(cfg.tls.certificate), key: await readFile(cfg.tls.key) } : undefined;
  const app = await createRegistryServer(
    { rootDirectory: cfg.rootDirectory, deleteEnabled: cfg.deleteEnabled, uploadExpirySeconds: cfg.uploadExpirySeconds, auth, log },
    https,
  );
  try {
    await listen(app, cfg.host, cfg.port);
  } catch (err) {
    await app.close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
  const host = cfg.host ?? (typeof addr === 'object' && addr ? addr.address : '');
  const url = `${https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, root: cfg.rootDirectory, auth: cfg.auth ? 'htpasswd' : 'none', config: cfg.file }, 'registry listening');
  return { app, url, port, stop: () => app.close() };
}

/** Starts the registry and returns a function that stops it cleanly (for `up` and `registry serve`). */
export async function serveRegistry(cfg: RegistryConfig, log: Logger): Promise<() => Promise<void>> {
  return (await startRegistry(cfg, log)).stop;
}

/** The `registry` command group. */
export function registryCommand(): Command {
  const registry = new Command('registry').description('the OCI distribution (Docker Registry v2) image registry');
  registry
    .command('serve')
    .description('serve the registry (default port 5000; HTTPS when http.tls is configured, Basic auth when auth.htpasswd is)')
    .option('-c, --config <file>', "distribution's config.yml (env REGISTRY_CONFIGURATION_PATH); REGISTRY_* variables override it")
    .option('--data-dir <dir>', 'keep the registry under <dir>/registry (default <data_dir>/registry)')
    .option('--port <n>', "the registry's port (default 5000, or http.addr)")
    .option('--log-format <format>', 'text (readable lines), json (one object a line) or auto: text on a terminal, json otherwise', 'auto')
    .action(
      run(async (flags: RegistryFlags) => {
        const cfg = registryConfigFrom(flags);
        const log = loggerFor(flags, cfg.logLevel ?? loadConfig().log_level, 'registry');
        stopOnSignals([await serveRegistry(cfg, log)]);
        warnTooOpen([cfg.tls?.key, cfg.auth?.htpasswd.path].filter((p): p is string => !!p), log);
      }),
    );
  registry
    .command('cert')
    .description('write a self-signed domain.crt/domain.key with subjectAltNames for this host')
    .option('--out <dir>', 'where to write them', 'certs')
    .option('--days <n>', 'validity in days', '365')
    .option('--name <name...>', 'more DNS names or IP addresses to include (the first becomes the Common Name)')
    .option('--key-type <type>', 'ec (ECDSA P-256) or rsa (RSA 4096)', 'ec')
    .option('--force', 'replace existing files')
    .action(
      run(async (flags: { out: string; days: string; name?: string[]; keyType: string; force?: boolean }) => {
        if (flags.keyType !== 'ec' && flags.keyType !== 'rsa') throw new Error(`--key-type: ec or rsa, not ${flags.keyType}`);
        if (!/^\d+$/.test(flags.days)) throw new Error(`--days: not a number of days: ${flags.days}`);
        const r = await makeSelfSignedCert({ outDir: flags.out, days: Number(flags.days), names: flags.name, keyType: flags.keyType as KeyType, force: flags.force });
        process.stdout.write(
          `wrote ${r.certificate}\nwrote ${r.key}\n` +
            `subjectAltNames: ${[...r.dnsNames.map((n) => `DNS:${n}`), ...r.addresses.map((a) => `IP:${a}`)].join(', ')}\n` +
            `serve with: REGISTRY_HTTP_TLS_CERTIFICATE=${r.certificate} REGISTRY_HTTP_TLS_KEY=${r.key} cloudlet registry serve\n` +
            `trust on a client: copy ${r.certificate} to /etc/containers/certs.d/HOST:5000/ca.crt (docker: /etc/docker/certs.d/HOST:5000/ca.crt)\n`,
        );
      }),
    );
  registry
    .command('gc')
    .description('delete blobs (and with --delete-untagged, manifests) nothing references; safe while the registry serves')
    .option('-c, --config <file>', "distribution's config.yml (env REGISTRY_CONFIGURATION_PATH)")
    .option('--data-dir <dir>', 'the registry under <dir>/registry')
    .option('--dry-run', 'report what would be deleted, delete nothing')
    .option('--delete-untagged', 'also delete manifests no tag reaches (their referrers and index children with them)')
    .option('--grace <seconds>', 'keep what was written more recently than this (pushes under way)', '3600')
    .action(
      run(async (flags: RegistryFlags & { dryRun?: boolean; deleteUntagged?: boolean; grace: string }) => {
        if (!/^\d+$/.test(flags.grace)) throw new Error(`--grace: not a number of seconds: ${flags.grace}`);
        const cfg = registryConfigFrom(flags);
        const { FilesystemDriver } = await import('../registry/storage/filesystem.js');
        const { collectGarbage } = await import('../registry/storage/gc.js');
        const report = await collectGarbage(new FilesystemDriver(cfg.rootDirectory), {
          dryRun: flags.dryRun ?? false, deleteUntagged: flags.deleteUntagged ?? false, graceSeconds: Number(flags.grace),
        });
        const verb = flags.dryRun ? 'would delete' : 'deleted';
        for (const m of report.manifestsDeleted) process.stdout.write(`${verb} manifest ${m.repository}@${m.digest}\n`);
        for (const b of report.blobsDeleted) process.stdout.write(`${verb} blob ${b}\n`);
        for (const t of report.tempFilesDeleted) process.stdout.write(`${verb} temp file ${t}\n`);
        process.stdout.write(
          `${report.repositories} repositories, ${report.blobsKept} blobs kept, ${report.blobsDeleted.length} blobs, ` +
            `${report.manifestsDeleted.length} manifests and ${report.tempFilesDeleted.length} temp files ${verb}\n`,
        );
      }),
    );
  return registry;
}
