import { join } from 'node:path';
import type { Config } from '../config.js';

/** the SQLite database file, when the configuration names SQLite (the default); apart so the CLI can name it without loading a driver */
export function sqliteFile(cfg: Pick<Config, 'data_dir' | 'database_url'>): string | undefined {
  if (cfg.database_url && !cfg.database_url.startsWith('sqlite:')) return undefined;
  return cfg.database_url ? cfg.database_url.replace(/^sqlite:(\/\/)?/, '') : join(cfg.data_dir, 'cloudlet.sqlite');
}
