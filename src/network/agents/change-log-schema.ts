/** The change log agents follow (migration 0011); lists are JSON text. */
export interface ChangeLogRow {
  revision: number;
  resource: string;
  op: string;
  resource_id: string;
  network_ids: string;
  hosts: string;
  created_at: string;
}

export interface ChangeLogSchema {
  change_log: ChangeLogRow;
}
