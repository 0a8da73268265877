// The identity service's configuration section (`identity:` in cloudlet.yaml), options
// named as in keystone.conf where one exists; src/config.ts puts it beside the others.
import { option, type Infer, type Shape } from '../common/config-schema.js';

const { string, integer, port } = option;

export const IDENTITY_CONFIG = {
  host: string('127.0.0.1'),
  /** 35357, Keystone's registered port: 5000, its usual public port, belongs to the registry here */
  port: port(35357),
  /** seconds a token lives ([token] expiration) */
  token_expiration: integer(3600, 1),
  /** the region of every catalog endpoint */
  region: string('RegionOne'),
  /** the address clients use for the services (catalog URLs); default http://<host>:<port> of each service */
  public_host: string(''),
  /** bcrypt cost for stored passwords (keystone: [identity] password_hash_rounds, bcrypt 12) */
  password_hash_rounds: integer(12, 4, 31),
} as const satisfies Shape;

export type IdentityConfig = Infer<typeof IDENTITY_CONFIG>;

/** what the identity service reads of the whole configuration: its section, and the data directory (signing keys, the agents' password) */
export interface IdentityServiceConfig {
  data_dir: string;
  identity: IdentityConfig;
}
