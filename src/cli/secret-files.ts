// Where cloudlet keeps secrets, for the start-up check of their modes
// (src/common/private-files.ts): the data directory, the SQLite database with
// its -wal/-shm files (password hashes), the token signing and credential
// keys, the agents' password, and what the caller adds (clouds.yaml, the registry's TLS key and htpasswd).
import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import { sqliteFile } from '../common/db/sqlite-file.js';
import type { Logger } from '../common/logging.js';
import { makePrivateDir, warnTooOpen, withEntries } from '../common/private-files.js';
import { credentialKeyDir } from '../identity/credential-keys.js';
import { keyDir } from '../identity/keys.js';
import { agentPasswordFile } from '../identity/service-user.js';

export function secretPaths(cfg: Config): string[] {
  const db = sqliteFile(cfg);
  const agentPassword = agentPasswordFile(cfg.data_dir);
  return [
    cfg.data_dir,
    ...(db && db !== ':memory:' ? [db, `${db}-wal`, `${db}-shm`] : []),
    ...withEntries(keyDir(cfg.data_dir), /\.pem$/),
    ...withEntries(credentialKeyDir(cfg.data_dir), /\.key$/),
    ...(existsSync(agentPassword) ? [agentPassword] : []),
  ];
}

/** Makes the data directory (0700) when missing, and warns about every secret others can reach. */
export function checkSecretFiles(cfg: Config, log: Logger, extra: Array<string | undefined> = []): void {
  makePrivateDir(cfg.data_dir);
  warnTooOpen([...secretPaths(cfg), ...extra.filter((p): p is string => !!p)], log);
}
