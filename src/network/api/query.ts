import { Errors, NeutronError } from '../model/errors.js';
import type { ListQuery } from '../model/list-query.js';
import { isFilterable, isSortable, type ResourceDef } from '../model/resource.js';

const CONTROL = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse', 'tags', 'tags-any', 'not-tags', 'not-tags-any']);

const splitTags = (values: string[]): string[] => values.flatMap((v) => v.split(',')).filter((t) => t.length > 0);

/** Converts a filter value given in a query string to the attribute's type, as Neutron's convert_to does. */
function convertFilter(def: ResourceDef, name: string, raw: string): unknown {
  const a = def.attributes[name];
  if (a.kind === 'boolean') {
    const s = raw.toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
    throw Errors.invalidInput(`'${raw}' cannot be converted to boolean`);
  }
  if (a.kind === 'integer') {
    if (!/^-?\d{1,15}$/.test(raw)) throw Errors.invalidInput(`'${raw}' is not an integer`);
    return Number(raw);
  }
  return raw;
}

/**
 * The fields asked for, as Neutron's UserFilterHook reads them: each value is one name, taken
 * as written (no comma splitting); a name no attribute has is no error and matches nothing,
 * so `fields=` or `fields=bogus` alone answer empty objects.
 */
export function fieldsOf(search: URLSearchParams): string[] | undefined {
  const fields = search.getAll('fields');
  return fields.length ? fields : undefined;
}

export function parseListQuery(def: ResourceDef, search: URLSearchParams, extraFilters: ReadonlySet<string> = new Set()): ListQuery {
  const filters = new Map<string, unknown[]>();
  const invalid: string[] = [];
  for (const key of new Set(search.keys())) {
    if (CONTROL.has(key)) continue;
    const a = def.attributes[key];
    if (!a || !(isFilterable(a) || extraFilters.has(key))) {
      invalid.push(key);
      continue;
    }
    filters.set(key, search.getAll(key).map((v) => (extraFilters.has(key) ? v : convertFilter(def, key, v))));
  }
  if (invalid.length) throw Errors.badRequest(`[${invalid.map((k) => `'${k}'`).join(', ')}] is invalid attribute for filtering`);


  const keys = search.getAll('sort_key');
  const dirs = search.getAll('sort_dir');
  if (keys.length !== dirs.length && dirs.length > 0) throw Errors.badRequest('The number of sort_keys and sort_dirs must be same');
  const sorts: Array<[string, 'asc' | 'desc']> = keys.map((k, i) => {
    const a = def.attributes[k];
    if (!a || !isSortable(a)) throw Errors.badRequest(`${k} is invalid attribute for sort_keys`);
    const d = (dirs[i] ?? 'asc').toLowerCase();
    if (d !== 'asc' && d !== 'desc') throw Errors.badRequest(`${dirs[i]} is invalid value for sort_dirs, valid value is 'asc' and 'desc'`);
    return [k, d];
  });
  if (keys.length === 0 && dirs.length > 0) throw Errors.badRequest('The number of sort_keys and sort_dirs must be same');

  let limit: number | undefined;
  const rawLimit = search.get('limit');
  if (rawLimit !== null) {
    if (!/^\d{1,9}$/.test(rawLimit)) throw Errors.badRequest(`Limit must be an integer 0 or greater and not '${rawLimit}'`);
    limit = Number(rawLimit) || undefined;
  }
  const marker = search.get('marker') ?? undefined;
  const pr = (search.get('page_reverse') ?? 'false').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(pr)) throw new NeutronError('InvalidInput', 400, `Invalid input for operation: '${pr}' cannot be converted to boolean.`);

  return {
    filters,
    tags: {
      all: splitTags(search.getAll('tags')),
      any: splitTags(search.getAll('tags-any')),
      notAll: splitTags(search.getAll('not-tags')),
      notAny: splitTags(search.getAll('not-tags-any')),
    },
    fields: fieldsOf(search),
    sorts,
    limit,
    marker,
    pageReverse: pr === 'true' || pr === '1',
  };
}

/**
 * Neutron's `<collection>_links` (api_common.get_pagination_links): the query as sent, less
 * marker and page_reverse, plus the new marker. An empty page past the end still has a
 * `previous` link, without a marker: the last page, read backwards.
 */
export function paginationLinks(
  baseUrl: string,
  search: URLSearchParams,
  items: Array<Record<string, unknown>>,
  q: ListQuery,
): Array<{ href: string; rel: string }> {
  if (!q.limit) return [];
  const href = (marker: unknown, reverse: boolean): string => {
    const p = new URLSearchParams();
    for (const [k, v] of search) if (k !== 'marker' && k !== 'page_reverse') p.append(k, v);
    if (marker !== undefined) p.append('marker', String(marker));
    if (reverse) p.append('page_reverse', 'True');
    return `${baseUrl}?${p.toString()}`;
  };
  const links: Array<{ href: string; rel: string }> = [];
  if (!(items.length < q.limit && !q.pageReverse)) links.push({ href: href(items[items.length - 1]?.id, false), rel: 'next' });
  if (!(items.length < q.limit && q.pageReverse)) links.push({ href: href(items[0]?.id, true), rel: 'previous' });
  return links;
}
