// `openssl req -x509`: a new key and a self-signed certificate for it, from a config
// file the caller wrote (the registry's, with its subjectAltNames). Debian's openssl is
// on every machine (ca-certificates needs it); running it is this layer's job.
import { CommandError, programMissing, type Command, type Runner } from './runner.js';

export interface SelfSignedRequest {
  /** the openssl config: [req] with its distinguished name and x509_extensions */
  config: string;
  keyOut: string;
  certOut: string;
  days: number;
  /** ECDSA P-256 or RSA 4096 */
  keyType: 'ec' | 'rsa';
}

export function selfSignedCommand(r: SelfSignedRequest): Command {
  const newkey = r.keyType === 'rsa' ? ['-newkey', 'rsa:4096'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  return {
    argv: ['openssl', 'req', '-x509', ...newkey, '-nodes', '-sha256', '-days', String(r.days), '-config', r.config, '-keyout', r.keyOut, '-out', r.certOut],
    // the library reads this file too, not the host's openssl.cnf: the result does not depend on the host's defaults
    env: { OPENSSL_CONF: r.config },
  };
}

/** makes the key and the certificate; a missing openssl or its refusal is one line saying so */
export async function makeSelfSigned(runner: Runner, r: SelfSignedRequest): Promise<void> {
  try {
    await runner.run(selfSignedCommand(r));
  } catch (err) {
    if (programMissing(err)) throw new Error('openssl not found: install the Debian package openssl');
    if (err instanceof CommandError) throw new Error(`openssl req failed: ${err.result.stderr.trim() || err.message}`);
    throw err;
  }
}
