import { parseCidr, parseIp, formatCidr, isValidMac } from '../../common/net-address.js';

/** A validator returns Neutron's error_message, or undefined when the value is valid. */
export type Validator = (value: unknown) => string | undefined;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const repr = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

export const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);

export const V = {
  string: (maxLen?: number): Validator => (v) => {
    if (typeof v !== 'string') return `'${repr(v)}' is not a valid string`;
    if (maxLen !== undefined && v.length > maxLen) return `'${v}' exceeds maximum length of ${maxLen}`;
    return undefined;
  },
  stringOrNone: (maxLen?: number): Validator => (v) => (v === null ? undefined : V.string(maxLen)(v)),
  uuid: (): Validator => (v) => (isUuid(v) ? undefined : `'${repr(v)}' is not a valid UUID`),
  uuidOrNone: (): Validator => (v) => (v === null ? undefined : V.uuid()(v)),
  boolean: (): Validator => (v) => (typeof v === 'boolean' ? undefined : `'${repr(v)}' is not a valid boolean value`),
  integer: (min?: number, max?: number): Validator => (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return `'${repr(v)}' is not an integer`;
    if (min !== undefined && v < min) return `'${v}' is too small - must be at least '${min}'`;
    if (max !== undefined && v > max) return `'${v}' is too large - must be no larger than '${max}'`;
    return undefined;
  },
  integerOrNone: (min?: number, max?: number): Validator => (v) => (v === null ? undefined : V.integer(min, max)(v)),
  values: (allowed: readonly unknown[]): Validator => (v) =>
    allowed.includes(v) ? undefined : `'${repr(v)}' is not in [${allowed.map((a) => `'${String(a)}'`).join(', ')}]`,
  valuesOrNone: (allowed: readonly unknown[]): Validator => (v) => (v === null ? undefined : V.values(allowed)(v)),
  mac: (): Validator => (v) => (typeof v === 'string' && isValidMac(v) ? undefined : `'${repr(v)}' is not a valid MAC address`),
  ip: (): Validator => (v) => (typeof v === 'string' && parseIp(v) ? undefined : `'${repr(v)}' is not a valid IP address`),
  ipOrNone: (): Validator => (v) => (v === null ? undefined : V.ip()(v)),
  cidr: (): Validator => (v) => {
    if (typeof v !== 'string') return `'${repr(v)}' is not a valid IP subnet`;
    const c = parseCidr(v);
    if (!c || !v.includes('/')) return `${v} is not in a CIDR format`;
    const canonical = formatCidr(c);
    if (c.version === 4 && canonical !== v) return `'${v}' isn't a recognized IP subnet cidr, '${canonical}' is recommended`;
    return undefined;
  },
  cidrOrNone: (): Validator => (v) => (v === null ? undefined : V.cidr()(v)),
  /** an address, or a network when it has a prefix, as allowed address pairs take (validate_ip_address / validate_subnet) */
  ipOrSubnet: (): Validator => (v) => (typeof v === 'string' && v.includes('/') ? V.cidr()(v) : V.ip()(v)),
  list: (item?: Validator, maxItems = 1000): Validator => (v) => {
    if (!Array.isArray(v)) return `'${repr(v)}' is not a list`;
    if (v.length > maxItems) return `List has more than ${maxItems} items`;
    if (item) for (const x of v) { const m = item(x); if (m) return m; }
    const seen = new Set(v.map((x) => JSON.stringify(x)));
    if (seen.size !== v.length) return `Duplicate items in the list: '${v.map(repr).join(', ')}'`;
    return undefined;
  },
  dict: (keys?: Record<string, Validator>, required: string[] = []): Validator => (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `'${repr(v)}' is not a dictionary`;
    if (!keys) return undefined;
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!Object.hasOwn(keys, k)) return `Unexpected keys supplied: ${k}`;
    for (const k of required) if (!(k in o)) return `Validation of dictionary's keys failed. Expected keys: ${required.join(', ')} Provided keys: ${Object.keys(o).join(', ')}`;
    for (const [k, check] of Object.entries(keys)) if (k in o) { const m = check(o[k]); if (m) return m; }
    return undefined;
  },
  anyDict: (): Validator => (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : `'${repr(v)}' is not a dictionary`,
  /** Neutron validates tags the same way on every resource: 60 characters at most, no comma. */
  tag: (): Validator => (v) => {
    if (typeof v !== 'string') return `'${repr(v)}' is not a valid string`;
    if (v.length > 60) return `'${v}' exceeds maximum length of 60`;
    if (v.includes(',')) return `'${v}' contains ','`;
    if (v.length === 0) return `'${v}' is blank`;
    return undefined;
  },
};

/** neutron_lib converters: what the API accepts in place of the canonical value. */
export const C = {
  boolean: (v: unknown): unknown => {
    if (typeof v === 'boolean') return v;
    if (v === 0 || v === 1) return v === 1;
    if (typeof v === 'string') {
      const s = v.toLowerCase();
      if (s === 'true' || s === '1') return true;
      if (s === 'false' || s === '0') return false;
    }
    throw new Error(`'${repr(v)}' cannot be converted to boolean`);
  },
  integer: (v: unknown): unknown => {
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string' && /^-?\d{1,15}$/.test(v.trim())) return Number(v);
    throw new Error(`'${repr(v)}' is not an integer`);
  },
  /** None/null/'' stays null; used for nullable integers */
  integerOrNone: (v: unknown): unknown => (v === null || v === '' ? null : C.integer(v)),
};
