/** A list request as the plugin reads it: filters, tag filters, fields, sorting and paging. */
export interface TagFilters {
  all: string[];
  any: string[];
  notAll: string[];
  notAny: string[];
}

export interface ListQuery {
  /** attribute → accepted values (a repeated key means any of them), already converted */
  filters: Map<string, unknown[]>;
  tags: TagFilters;
  fields?: string[];
  sorts: Array<[string, 'asc' | 'desc']>;
  limit?: number;
  marker?: string;
  pageReverse: boolean;
}
