import { join } from 'node:path';

/** where the database is, as the configuration says */
export interface DatabaseLocation {
  /** postgres://… or sqlite:PATH; empty: <data_dir>/cloudlet.sqlite */
  database_url: string;
  data_dir: string;
}

/** the SQLite database file, when the configuration names SQLite (the default); apart so the CLI can name it without loading a driver */
export function sqliteFile(cfg: DatabaseLocation): string | undefined {
  if (cfg.database_url && !cfg.database_url.startsWith('sqlite:')) return undefined;
  return cfg.database_url ? cfg.database_url.replace(/^sqlite:(\/\/)?/, '') : join(cfg.data_dir, 'cloudlet.sqlite');
}
