import type { Config } from '../config.js';

const hostOf = (h: string): string => (h.includes(':') ? `[${h}]` : h);

/** the URL clients reach a service at (catalog entries, WWW-Authenticate): public_host when set, else the address it listens on */
export function publicUrl(cfg: Config, host: string | undefined, port: number, scheme: 'http' | 'https' = 'http'): string {
  const h = cfg.identity.public_host || (host === undefined || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  return `${scheme}://${hostOf(h)}:${port}`;
}
