// The network API as a client command reaches it: credentials as the openstack
// client finds them (os-credentials.ts), the endpoint from the token's catalog.
import { KeystoneSession } from '../common/keystone-session.js';
import { osCredentials } from './os-credentials.js';

export interface NetworkClient {
  session: KeystoneSession;
  /** JSON call on the network API (path from /v2.0); non-2xx throws with Neutron's message */
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
}

export function networkClient(flags: { osCloud?: string }): NetworkClient {
  const session = new KeystoneSession(osCredentials({ osCloud: flags.osCloud }));
  let base: Promise<string> | undefined;
  return {
    session,
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      base ??= session.endpoint('network');
      return session.json<T>(method, `${await base}${path}`, { body });
    },
  };
}
