// The classic private-registry recipe, as the real-client tests use it: a certificate
// from `cloudlet registry cert`, an htpasswd file with a bcrypt ($2y$) entry, and the
// REGISTRY_* variables that switch TLS and Basic auth on.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { createLogger } from '../../src/common/logging.js';
import { startRegistry, type RunningRegistry } from '../../src/cli/registry.js';
import { makeSelfSignedCert } from '../../src/registry/cert.js';
import { loadRegistryConfig } from '../../src/registry/config.js';

export const SECURE_USER = 'testuser';
export const SECURE_PASSWORD = 'testpassword';

/** starts it under `dir`; `caDir` holds only ca.crt (a client's cert dir takes *.crt as roots, a *.key there would want a client *.cert) */
export async function startSecureRegistry(dir: string): Promise<{ registry: RunningRegistry; caDir: string }> {
  await makeSelfSignedCert({ outDir: join(dir, 'certs') });
  const caDir = join(dir, 'ca');
  mkdirSync(caDir, { recursive: true });
  copyFileSync(join(dir, 'certs', 'domain.crt'), join(caDir, 'ca.crt'));
  mkdirSync(join(dir, 'auth'), { recursive: true });
  writeFileSync(join(dir, 'auth', 'htpasswd'), `${SECURE_USER}:${bcrypt.hashSync(SECURE_PASSWORD, 5).replace(/^\$2b/, '$2y')}\n`);
  const env = {
    REGISTRY_HTTP_ADDR: '127.0.0.1:0',
    REGISTRY_HTTP_TLS_CERTIFICATE: 'certs/domain.crt',
    REGISTRY_HTTP_TLS_KEY: 'certs/domain.key',
    REGISTRY_AUTH: 'htpasswd',
    REGISTRY_AUTH_HTPASSWD_REALM: 'Registry Realm',
    REGISTRY_AUTH_HTPASSWD_PATH: 'auth/htpasswd',
    REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: 'data',
  };
  const registry = await startRegistry(loadRegistryConfig({ env, dataDir: join(dir, 'unused'), cwd: dir }), createLogger('silent'));
  return { registry, caDir };
}
