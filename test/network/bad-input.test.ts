// Bad input gets a clear error and loses nothing: hostile requests to every
// endpoint of the network API are answered 4xx with a well-formed
// {"NeutronError": {type, message, detail}}, never 5xx, and the small world
// they were aimed at (a network, a subnet, two ports, tags) is exactly as it
// was afterwards: same API view, same rows in every table.
//
// Properties use fast-check with bounded runs (CLOUDLET_FC_RUNS, default 200);
// each run also compares a cheap fingerprint of the database (row counts and
// revision sums), so a request that changes state is the counterexample.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import fc from 'fast-check';
import { sql } from 'kysely';
import { backends, type Backend } from '../support/backends.js';
import { startNetwork, type RunningNetwork } from '../support/network-server.js';

const BODY_LIMIT = 114688;
const RUNS = Number(process.env.CLOUDLET_FC_RUNS ?? 200);
const TABLES = [
  'networks', 'network_segments', 'segment_allocations', 'subnets', 'allocation_pools', 'ipam_free_ranges',
  'ip_allocations', 'ports', 'tags', 'security_groups', 'port_security_groups',
] as const;
const PLURALS = ['networks', 'subnets', 'ports'] as const;
type Plural = (typeof PLURALS)[number];
const SINGULAR: Record<Plural, string> = { networks: 'network', subnets: 'subnet', ports: 'port' };
const KIND: Record<Plural, string> = { networks: 'Network', subnets: 'Subnet', ports: 'Port' };

// ---------------------------------------------------------------- HTTP

interface Req {
  method: string;
  path: string;
  /** sent as is; objects are JSON-encoded by the builders, not here */
  body?: string | Buffer;
  /** null removes a default header */
  headers?: Record<string, string | null>;
  /** what Neutron answers, when the case pins it down */
  status?: number | number[];
  type?: string | string[];
}

interface Answer {
  status: number;
  text: string;
  body: unknown;
  contentType: string;
}

/** A raw HTTP request: paths go out byte for byte (no URL normalisation), any body with any method. */
function send(base: string, req: Req): Promise<Answer> {
  const u = new URL(base);
  const headers: Record<string, string> = {};
  if (req.body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(req.body));
  }
  for (const [k, v] of Object.entries(req.headers ?? {})) {
    if (v === null) delete headers[k];
    else headers[k] = v;
  }
  return new Promise((resolve, reject) => {
    const r = http.request({ agent: false, host: u.hostname, port: u.port, method: req.method, path: req.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* keep the text for the message */
        }
        resolve({ status: res.statusCode ?? 0, text, body, contentType: String(res.headers['content-type'] ?? '') });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

const short = (s: string, n = 300): string => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);
const show = (req: Req): string => {
  const body = req.body === undefined ? '' : ` ${short(req.body.toString(), 200)}`;
  return `${req.method} ${short(req.path, 200)}${body}${req.headers ? ` ${JSON.stringify(req.headers)}` : ''}`;
};

/** The answer is a well-formed Neutron error. */
function assertNeutronError(a: Answer, what: string): void {
  assert.match(a.contentType, /^application\/json/, `${what}: content-type ${a.contentType}`);
  const b = a.body as Record<string, unknown> | undefined;
  assert.ok(b && typeof b === 'object' && !Array.isArray(b), `${what}: body is not a JSON object: ${short(a.text)}`);
  assert.deepEqual(Object.keys(b), ['NeutronError'], `${what}: body is not {"NeutronError": …}: ${short(a.text)}`);
  const e = b.NeutronError as Record<string, unknown>;
  assert.ok(e && typeof e === 'object', `${what}: NeutronError is not an object: ${short(a.text)}`);
  assert.equal(typeof e.type, 'string', `${what}: type: ${short(a.text)}`);
  assert.ok((e.type as string).length > 0, `${what}: empty type`);
  assert.equal(typeof e.message, 'string', `${what}: message: ${short(a.text)}`);
  assert.ok((e.message as string).length > 0, `${what}: empty message`);
  assert.equal(typeof e.detail, 'string', `${what}: detail: ${short(a.text)}`);
}

/** Refused: 4xx (the exact status and type when the request pins them), a Neutron error body. */
function assertRefused(req: Req, a: Answer): void {
  const what = show(req);
  assert.ok(a.status >= 400 && a.status < 500, `${what}: expected 4xx, got ${a.status} ${short(a.text)}`);
  assertNeutronError(a, what);
  if (req.status !== undefined) {
    const ok = ([] as number[]).concat(req.status);
    assert.ok(ok.includes(a.status), `${what}: expected ${ok.join('|')}, got ${a.status} ${short(a.text)}`);
  }
  if (req.type !== undefined) {
    const ok = ([] as string[]).concat(req.type);
    const type = (a.body as { NeutronError: { type: string } }).NeutronError.type;
    assert.ok(ok.includes(type), `${what}: expected type ${ok.join('|')}, got ${type}`);
  }
}

/** Harmless: a request that may be answered (2xx JSON) or refused (4xx Neutron error), never 5xx. */
function assertHarmless(req: Req, a: Answer): void {
  const what = show(req);
  assert.ok(a.status < 500, `${what}: got ${a.status} ${short(a.text)}`);
  if (a.status >= 400) assertNeutronError(a, what);
  else assert.ok(a.body !== undefined && typeof a.body === 'object', `${what}: ${a.status} without a JSON body: ${short(a.text)}`);
}

// ---------------------------------------------------------------- the world

interface World {
  s: RunningNetwork;
  net: string;
  subnet: string;
  port1: string;
  port2: string;
  mac1: string;
  mac2: string;
  ip1: string;
  ids: Record<Plural, string>;
  snapshot: unknown;
  fingerprint: string;
}

async function ok(s: RunningNetwork, method: string, path: string, body?: unknown): Promise<any> {
  const r = await s.call(method, path, body);
  assert.ok(r.status >= 200 && r.status < 300, `setup ${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function buildWorld(backend: Backend): Promise<World> {
  const s = await startNetwork(backend);
  try {
    return await populate(s);
  } catch (err) {
    await s.close();
    throw err;
  }
}

async function populate(s: RunningNetwork): Promise<World> {
  const net = (await ok(s, 'POST', '/v2.0/networks', { network: { name: 'world' } })).network.id as string;
  const subnet = (await ok(s, 'POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.0.0.0/24', ip_version: 4, name: 'world' } })).subnet.id as string;
  const p1 = (await ok(s, 'POST', '/v2.0/ports', { port: { network_id: net, name: 'p1' } })).port;
  const p2 = (await ok(s, 'POST', '/v2.0/ports', { port: { network_id: net, name: 'p2', fixed_ips: [{ subnet_id: subnet, ip_address: '10.0.0.20' }] } })).port;
  await ok(s, 'PUT', `/v2.0/networks/${net}/tags/red`);
  await ok(s, 'PUT', `/v2.0/ports/${p2.id}/tags`, { tags: ['blue', 'green'] });
  const w: World = {
    s, net, subnet, port1: p1.id, port2: p2.id, mac1: p1.mac_address, mac2: p2.mac_address, ip1: p1.fixed_ips[0].ip_address,
    ids: { networks: net, subnets: subnet, ports: p1.id }, snapshot: undefined, fingerprint: '',
  };
  w.snapshot = await snapshot(s);
  w.fingerprint = await fingerprint(s);
  return w;
}

/** Everything there is to lose: the API view of every collection and tag list, and every row of every table. */
async function snapshot(s: RunningNetwork): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const plural of PLURALS) {
    const r = await s.call('GET', `/v2.0/${plural}?sort_key=id&sort_dir=asc`);
    assert.equal(r.status, 200);
    out[plural] = r.body[plural];
    for (const item of r.body[plural] as Array<{ id: string }>) {
      const t = await s.call('GET', `/v2.0/${plural}/${item.id}/tags`);
      assert.equal(t.status, 200);
      out[`${plural}/${item.id}/tags`] = t.body;
    }
  }
  for (const table of TABLES) {
    const rows = await s.database.db.selectFrom(table).selectAll().execute();
    out[`table ${table}`] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

/** One query: row counts of every table and the revision sums, cheap enough to take after every request. */
async function fingerprint(s: RunningNetwork): Promise<string> {
  const parts = [
    ...TABLES.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`),
    ...['networks', 'subnets', 'ports'].map((t) => `(SELECT coalesce(sum(revision_number), 0) FROM ${t}) AS rev_${t}`),
    ...['networks', 'subnets', 'ports'].map((t) => `(SELECT coalesce(max(updated_at), '') FROM ${t}) AS upd_${t}`),
  ];
  const r = await sql.raw<Record<string, unknown>>(`SELECT ${parts.join(', ')}`).execute(s.database.db);
  return JSON.stringify(Object.fromEntries(Object.entries(r.rows[0]).map(([k, v]) => [k, String(v)])));
}

async function assertUnchanged(w: World, what: string): Promise<void> {
  assert.deepEqual(await snapshot(w.s), w.snapshot, `${what} changed the world`);
}

/** Runs a property: every generated request is refused (or harmless) and leaves the database as it was. */
async function property(w: World, arb: fc.Arbitrary<Req>, judge: (req: Req, a: Answer) => void = assertRefused, numRuns = RUNS): Promise<void> {
  // from the database as it is now: a change made earlier is reported by that test's snapshot, not blamed on this one
  const before = await fingerprint(w.s);
  await fc.assert(
    fc.asyncProperty(arb, async (req) => {
      const a = await send(w.s.url, req);
      judge(req, a);
      assert.equal(await fingerprint(w.s), before, `${show(req)} (answered ${a.status}) changed the database`);
    }),
    { numRuns, includeErrorInReport: true },
  );
}

// ---------------------------------------------------------------- values

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const V4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);
const isUuid = (v: unknown): boolean => typeof v === 'string' && UUID.test(v);
const isV4 = (v: unknown): v is string => typeof v === 'string' && V4.test(v);
/** could be an IP address at all; anything else certainly is not one */
const ipish = (v: unknown): boolean => typeof v === 'string' && /^[0-9a-fA-F:.]+$/.test(v);
const macish = (v: unknown): boolean => typeof v === 'string' && /^[0-9a-fA-F:.-]+$/.test(v);
const goodString = (max: number) => (v: unknown): boolean => typeof v === 'string' && v.length <= max && !v.includes('\0');
const boolLike = (v: unknown): boolean =>
  typeof v === 'boolean' || v === 0 || v === 1 || (typeof v === 'string' && ['true', 'false', '1', '0'].includes(v.toLowerCase()));
const intOf = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^-?\d{1,15}$/.test(v.trim()) ? Number(v) : undefined;
const uniqueList = (v: unknown[]): boolean => new Set(v.map((x) => JSON.stringify(x))).size === v.length;
const VNIC_TYPES = ['normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'vdpa', 'accelerator-direct', 'accelerator-direct-physical', 'remote-managed'];

const nulString = fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 })).map(([a, b]) => `${a}\0${b}`);
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  nulString,
);
/** about 100 kB of UTF-8: under the body limit once wrapped */
const huge = fc.constantFrom('x'.repeat(100_000), 'é'.repeat(50_000), '😀'.repeat(25_000), 'a,'.repeat(50_000), '\0'.repeat(15_000));
const number = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, 1, -1, 4, 6, 2 ** 31, 2 ** 32, 2 ** 53, 1e300, 0.5, 1500),
);
const scalar = fc.oneof(number, fc.boolean(), fc.constant(null), text);
const nested = fc.oneof(
  fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
  fc.integer({ min: 100, max: 3000 }).map((d) => JSON.parse('['.repeat(d) + ']'.repeat(d)) as unknown),
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: scalar },
  { weight: 2, arbitrary: nested },
  { weight: 1, arbitrary: huge },
);
const nonIp = anyValue.filter((v) => !ipish(v));
/** any value the attribute refuses; `also` adds hand-picked ones */
const bad = (valid: (v: unknown) => boolean, ...also: unknown[]): fc.Arbitrary<unknown> =>
  (also.length ? fc.oneof({ weight: 3, arbitrary: anyValue }, { weight: 1, arbitrary: fc.constantFrom(...also) }) : anyValue).filter((v) => !valid(v));
const oneOf = (...values: unknown[]): fc.Arbitrary<unknown> => fc.constantFrom(...values);
const listOf = (item: fc.Arbitrary<unknown>) => fc.array(item, { minLength: 1, maxLength: 3 });

const json = (v: unknown): string => JSON.stringify(v);
/** a JSON object text from entries, so that keys like __proto__ are sent as written */
const objectText = (entries: Array<[string, string]>): string => `{${entries.map(([k, v]) => `${json(k)}: ${v}`).join(', ')}}`;
const wrap = (key: string, inner: string): string => objectText([[key, inner]]);
const withAttr = (base: Record<string, unknown>, key: string, value: unknown): string =>
  objectText([...Object.entries(base).filter(([k]) => k !== key).map(([k, v]) => [k, json(v)] as [string, string]), [key, json(value)]]);

// ---------------------------------------------------------------- what each attribute refuses

type Specs = Record<string, fc.Arbitrary<unknown>>;

function postSpecs(w: World): Record<Plural, { base: Record<string, unknown>; attrs: Specs }> {
  const string255 = bad(goodString(255));
  const boolean = bad(boolLike);
  const names = { name: string255, description: string255, project_id: string255, tenant_id: string255 };
  const pool = (start: unknown, end: unknown) => ({ start, end });
  return {
    networks: {
      base: {},
      attrs: {
        ...names,
        admin_state_up: boolean, shared: boolean, 'router:external': boolean, port_security_enabled: boolean, is_default: boolean,
        mtu: bad((v) => v === null || v === '' || ((i) => i !== undefined && i >= 68 && i <= 1450)(intOf(v)), 67, 1451, 9000, 65536, 68.5, '1e3', 'abc'),
        availability_zone_hints: fc.oneof(
          bad(Array.isArray),
          listOf(bad(goodString(255))),
          oneOf(['az', 'az'], Array(1001).fill(0).map((_, i) => `az${i}`)),
        ),
        'provider:network_type': bad((v) => v === null || ['vxlan', 'gre', 'local', 'vlan'].includes(v as string), 'flat', 'VXLAN', 'geneve', '', 'x'.repeat(33)),
        'provider:physical_network': bad((v) => v === null, 'physnet1', 'physnet2'),
        'provider:segmentation_id': bad((v) => v === null || v === '', 1, 100, 0, -1, '5'),
      },
    },
    subnets: {
      base: { network_id: w.net, cidr: '10.1.0.0/24', ip_version: 4 },
      attrs: {
        ...names,
        network_id: fc.oneof(bad((v) => v === w.net), fc.uuid(), oneOf(w.subnet, w.port1, w.net.toUpperCase())),
        ip_version: bad((v) => intOf(v) === 4, 6, '6', 5, 0, 4.5, '4.0', 'four'),
        cidr: fc.oneof(
          anyValue.filter((v) => typeof v !== 'string' || !v.includes('/')),
          oneOf(
            '10.0.0.0/33', '300.1.1.1/24', '::/129', 'abc', '10.1.0.5/24', '10.0.0.0/24', '10.0.0.0/8', '10.0.0.128/25', '0.0.0.0/0',
            '2001:db8::/64', '10.1.0.0/024', ' 10.1.0.0/24', '10.1.0.0/24 ', '10.1.0.0 /24', '10.1.0.0/-1', '010.1.0.0/24',
            '10.1.0.0/24/24', '10.1.0.0/', '/24', '10.1.0/24', '10.1.0.0.0/24', '10.1.0.0/24\0', '10.1.0.0\\24', '10.1.0.0/1e1',
          ),
        ),
        gateway_ip: bad(
          (v) => v === null || (isV4(v) && v !== '10.1.0.0' && v !== '10.1.0.255'),
          '10.1.0.0', '10.1.0.255', '::1', '2001:db8::1', '10.1.0.1/24', '10.1.0.01', ' 10.1.0.1', '10.1.0.1 ', '10.1.0.256', '',
        ),
        allocation_pools: fc.oneof(
          bad(Array.isArray),
          listOf(fc.record({ start: nonIp, end: anyValue })),
          listOf(fc.record({ start: anyValue, end: nonIp })),
          oneOf(
            [pool('10.1.0.50', '10.1.0.40')], // start after end
            [pool('10.0.0.2', '10.0.0.9')], // outside the cidr
            [pool('10.1.0.0', '10.1.0.9')], // the network address
            [pool('10.1.0.2', '10.1.0.255')], // the broadcast address
            [pool('10.1.0.2', '10.1.0.100'), pool('10.1.0.50', '10.1.0.150')], // overlapping
            [pool('10.1.0.2', '10.1.0.9'), pool('10.1.0.2', '10.1.0.9')], // duplicate
            [pool('10.1.0.1', '10.1.0.9')], // holds the gateway
            [pool('10.1.0.2', '2001:db8::1')], // mixed versions
            [pool('2001:db8::1', '2001:db8::9')],
            [pool('10.1.0.300', '10.1.0.9')],
            [pool('abc', 'def')],
            [{ start: '10.1.0.2' }],
            [{ end: '10.1.0.9' }],
            [{ ...pool('10.1.0.2', '10.1.0.9'), extra: 1 }],
            [{}], [null], ['10.1.0.2-10.1.0.9'], [[ '10.1.0.2', '10.1.0.9' ]],
            [pool('10.1.0.2 ', '10.1.0.9')], [pool('10.1.0.2\0', '10.1.0.9')],
          ),
        ),
        dns_nameservers: fc.oneof(
          bad(Array.isArray),
          listOf(nonIp),
          oneOf(['8.8.8.8', '8.8.8.8'], ['8.8.8.300'], ['dns.example.com'], Array(33).fill(0).map((_, i) => `10.9.9.${i}`), ['8.8.8.8/32']),
        ),
        host_routes: fc.oneof(
          bad(Array.isArray),
          listOf(fc.record({ destination: anyValue, nexthop: nonIp })),
          listOf(fc.record({ destination: anyValue.filter((v) => typeof v !== 'string' || !v.includes('/')), nexthop: oneOf('10.1.0.9') })),
          oneOf(
            [{ destination: '10.2.0.0/24' }], [{ nexthop: '10.1.0.9' }], [{ destination: '10.2.0.5/24', nexthop: '10.1.0.9' }],
            [{ destination: '10.2.0.0/24', nexthop: '10.1.0.9', extra: 1 }], [{ destination: '10.2.0.0/33', nexthop: '10.1.0.9' }],
            [{ destination: '10.2.0.0/24', nexthop: '10.1.0.9' }, { destination: '10.2.0.0/24', nexthop: '10.1.0.9' }], [null],
          ),
        ),
        enable_dhcp: boolean,
        ipv6_ra_mode: bad((v) => v === null, 'slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'),
        ipv6_address_mode: bad((v) => v === null, 'slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'),
        // there are no subnet pools: a well-formed id names none (SubnetPoolNotFound)
        subnetpool_id: fc.oneof(bad((v) => v === null, 'prefix_delegation'), fc.uuid()),
        service_types: fc.oneof(bad(Array.isArray), listOf(bad(goodString(255))), oneOf(['compute:nova', 'compute:nova'])),
      },
    },
    ports: {
      base: { network_id: w.net },
      attrs: {
        ...names,
        device_id: string255, device_owner: string255, 'binding:host_id': string255,
        network_id: fc.oneof(bad((v) => v === w.net), fc.uuid(), oneOf(w.subnet, w.port1)),
        admin_state_up: boolean, port_security_enabled: boolean,
        mac_address: fc.oneof(
          anyValue.filter((v) => !macish(v)),
          oneOf(
            '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', 'FF-FF-FF-FF-FF-FF', 'fa:16:3e:00:00', 'fa:16:3e:00:00:00:00', 'fa:16:3e:0g:00:01',
            'fa:16:3e:000:00:01', 'fa::16:3e:00:00', ':::::', '', w.mac1, w.mac2, w.mac1.toUpperCase(), w.mac2.replace(/:/g, '-'),
          ),
        ),
        fixed_ips: fc.oneof(
          bad(Array.isArray),
          listOf(fc.record({ ip_address: nonIp })),
          listOf(fc.record({ subnet_id: anyValue.filter((v) => !isUuid(v)) })),
          listOf(anyValue.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))),
          fc.uuid().map((id) => [{ subnet_id: id }]),
          oneOf(
            [{ ip_address: '10.0.0.1' }], // the gateway
            [{ ip_address: '10.0.0.20' }], // port2's
            [{ subnet_id: w.subnet, ip_address: w.ip1 }], // port1's
            [{ ip_address: '10.0.0.0' }], [{ ip_address: '10.0.0.255' }], [{ ip_address: '10.9.9.9' }],
            [{ subnet_id: w.subnet, ip_address: '10.1.0.5' }], [{ subnet_id: w.subnet, ip_address: '2001:db8::1' }],
            [{ ip_address: '::1' }], [{ ip_address: '10.0.0.030' }], [{ ip_address: '10.0.0.30/24' }],
            [{}], [{ ip_address: '10.0.0.30', extra: 1 }], [{ ip_address: '10.0.0.30', subnet_id: 'not-a-uuid' }],
            [{ ip_address: '10.0.0.30' }, { ip_address: '10.0.0.30' }],
            [{ ip_address: '10.0.0.30' }, { ip_address: '10.0.0.30', subnet_id: w.subnet }],
            [{ subnet_id: w.net }], [{ subnet_id: w.subnet, ip_address: null }], [{ subnet_id: null }],
            Array(65).fill(0).map((_, i) => ({ ip_address: `10.0.0.${100 + i}` })),
          ),
        ),
        allowed_address_pairs: fc.oneof(
          bad(Array.isArray),
          listOf(fc.record({ mac_address: anyValue.filter((v) => !macish(v)) })),
          listOf(fc.record({ ip_address: bad(goodString(64)) })),
          oneOf(
            [{ ip_address: '10.0.0.5', mac_address: 'zz' }], [{}], [{ ip_address: 5 }], [{ ip_address: '10.0.0.5', extra: 1 }],
            [{ ip_address: '10.0.0.5' }, { ip_address: '10.0.0.5' }], Array(11).fill(0).map((_, i) => ({ ip_address: `10.0.0.${i + 1}` })),
            [{ ip_address: '10.0.0.5', mac_address: '00:00:00:00:00:00' }], [null], ['10.0.0.5'],
            [{ ip_address: 'abc' }], [{ ip_address: '10.0.0.0/33' }], [{ ip_address: '300.1.1.1' }], [{ ip_address: '' }],
          ),
        ),
        extra_dhcp_opts: fc.oneof(
          bad(Array.isArray),
          oneOf(
            [{}], [{ opt_name: 5 }], [{ opt_name: 'a', ip_version: 5 }], [{ opt_name: 'a', extra: 1 }], [{ opt_name: 'x'.repeat(65) }],
            [1], [null], [{ opt_name: 'a', opt_value: 5 }], [{ opt_name: 'a' }, { opt_name: 'a' }],
          ),
        ),
        security_groups: fc.oneof(
          bad(Array.isArray),
          listOf(anyValue.filter((v) => !isUuid(v))),
          fc.uuid().map((id) => [id]),
        ),
        'binding:profile': anyValue.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
        'binding:vnic_type': bad((v) => VNIC_TYPES.includes(v as string), 'NORMAL', 'normal '),
      },
    },
  };
}

function putSpecs(w: World): Record<Plural, Specs> {
  const post = postSpecs(w);
  const pool = (start: unknown, end: unknown) => ({ start, end });
  const pick = (p: Plural, ...names: string[]): Specs => Object.fromEntries(names.map((n) => [n, post[p].attrs[n]]));
  return {
    networks: pick('networks', 'name', 'description', 'admin_state_up', 'shared', 'router:external', 'port_security_enabled', 'is_default', 'mtu'),
    subnets: {
      ...pick('subnets', 'name', 'description', 'dns_nameservers', 'host_routes', 'enable_dhcp', 'service_types'),
      // the pools are 10.0.0.2-10.0.0.254: a gateway inside them conflicts
      gateway_ip: bad(
        (v) => v === null || (isV4(v) && (!v.startsWith('10.0.0.') || v === '10.0.0.1')),
        '10.0.0.0', '10.0.0.255', '10.0.0.2', '10.0.0.100', '10.0.0.254', '::1', '10.0.0.1/24', '10.0.0.01', '',
      ),
      allocation_pools: fc.oneof(
        bad(Array.isArray),
        listOf(fc.record({ start: nonIp, end: anyValue })),
        oneOf(
          [pool('10.0.0.1', '10.0.0.10')], [pool('10.0.0.0', '10.0.0.10')], [pool('10.0.0.2', '10.0.0.255')],
          [pool('10.0.0.50', '10.0.0.40')], [pool('10.0.0.2', '10.0.0.100'), pool('10.0.0.50', '10.0.0.150')],
          [pool('10.1.0.2', '10.1.0.9')], [pool('2001:db8::1', '2001:db8::9')], [{ start: '10.0.0.2' }], [{}], [null],
        ),
      ),
    },
    ports: {
      ...pick('ports', 'name', 'description', 'device_id', 'device_owner', 'binding:host_id', 'admin_state_up', 'port_security_enabled',
        'allowed_address_pairs', 'extra_dhcp_opts', 'security_groups', 'binding:profile', 'binding:vnic_type'),
      mac_address: fc.oneof(anyValue.filter((v) => !macish(v)), oneOf('00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', 'fa:16:3e:00:00', w.mac2, w.mac2.toUpperCase())),
      fixed_ips: fc.oneof(
        bad(Array.isArray),
        listOf(fc.record({ ip_address: nonIp })),
        fc.uuid().map((id) => [{ subnet_id: id }]),
        oneOf(
          [{ ip_address: '10.0.0.1' }], [{ ip_address: '10.0.0.20' }], [{ ip_address: w.ip1 }, { ip_address: '10.0.0.20' }],
          [{ ip_address: '10.0.0.0' }], [{ ip_address: '10.0.0.255' }], [{ ip_address: '10.9.9.9' }], [{}], [null],
          [{ subnet_id: w.subnet, ip_address: '10.1.0.5' }], [{ ip_address: '10.0.0.30' }, { ip_address: '10.0.0.30' }],
        ),
      ),
    },
  };
}

/** Attributes a client may never set on POST / PUT (Neutron's allow_post / allow_put False). */
const READ_ONLY_POST: Record<Plural, string[]> = {
  networks: ['id', 'status', 'subnets', 'availability_zones', 'ipv4_address_scope', 'ipv6_address_scope', 'revision_number', 'created_at', 'updated_at', 'tags'],
  subnets: ['id', 'revision_number', 'created_at', 'updated_at', 'tags'],
  ports: ['id', 'status', 'binding:vif_type', 'binding:vif_details', 'revision_number', 'created_at', 'updated_at', 'tags'],
};
const READ_ONLY_PUT: Record<Plural, string[]> = {
  networks: [...READ_ONLY_POST.networks, 'project_id', 'tenant_id', 'provider:network_type', 'provider:physical_network', 'provider:segmentation_id', 'availability_zone_hints'],
  subnets: [...READ_ONLY_POST.subnets, 'project_id', 'tenant_id', 'network_id', 'ip_version', 'cidr', 'ipv6_ra_mode', 'ipv6_address_mode', 'subnetpool_id'],
  ports: [...READ_ONLY_POST.ports, 'project_id', 'tenant_id', 'network_id'],
};
const ALL_ATTRIBUTES: Record<Plural, string[]> = {
  networks: ['id', 'name', 'description', 'project_id', 'tenant_id', 'admin_state_up', 'status', 'subnets', 'shared', 'mtu', 'provider:network_type',
    'provider:physical_network', 'provider:segmentation_id', 'router:external', 'port_security_enabled', 'availability_zone_hints',
    'availability_zones', 'ipv4_address_scope', 'ipv6_address_scope', 'is_default', 'revision_number', 'created_at', 'updated_at', 'tags'],
  subnets: ['id', 'name', 'description', 'project_id', 'tenant_id', 'network_id', 'ip_version', 'cidr', 'gateway_ip', 'allocation_pools',
    'dns_nameservers', 'host_routes', 'enable_dhcp', 'ipv6_ra_mode', 'ipv6_address_mode', 'subnetpool_id', 'service_types', 'revision_number',
    'created_at', 'updated_at', 'tags'],
  ports: ['id', 'name', 'description', 'project_id', 'tenant_id', 'network_id', 'admin_state_up', 'mac_address', 'fixed_ips', 'device_id',
    'device_owner', 'status', 'allowed_address_pairs', 'extra_dhcp_opts', 'port_security_enabled', 'security_groups', 'binding:host_id',
    'binding:profile', 'binding:vif_details', 'binding:vif_type', 'binding:vnic_type', 'revision_number', 'created_at', 'updated_at', 'tags'],
};
const LIST_CONTROLS = ['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse', 'tags', 'tags-any', 'not-tags', 'not-tags-any'];

const plural = fc.constantFrom(...PLURALS);
const enc = encodeURIComponent;

// ---------------------------------------------------------------- request generators

/** Bodies that are not JSON at all, or not JSON a resource can be read from. */
function bodyShapes(p: Plural, forPut: boolean): fc.Arbitrary<string> {
  const s = SINGULAR[p];
  const valid = forPut ? json({ [s]: { name: 'renamed' } }) : json({ [s]: { name: 'created', network_id: randomUUID() } });
  const wrappers = new Set(['network', 'networks', 'subnet', 'subnets', 'port', 'ports']);
  const nonObject = anyValue.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v));
  return fc.oneof(
    // malformed and truncated JSON
    fc.integer({ min: 1, max: valid.length - 1 }).map((n) => valid.slice(0, n)),
    fc.constantFrom('{', '}', '{"', `{"${s}": }`, `{"${s}": {"name": "x",}}`, `{'${s}': {}}`, `{${s}: {}}`, `{"${s}": {"name": "x"}}}`,
      `{"${s}": {"name": "x"}} trailing`, `{"${s}": {"name": NaN}}`, `{"${s}": {"name": undefined}}`, '[', 'nul', 'tru', '\u0000',
      '\ufeff{}', `{"${s}": {"name": "\\x41"}}`, `{"${s}": {"name": "\\u12"}}`, '{"a":1}{"b":2}'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }).filter((t) => t.trim() !== ''),
    // JSON that is an array, number, string, null, boolean
    nonObject.map((v) => json(v) ?? 'null'),
    // objects without the wrapper key, or with something else beside it
    fc.dictionary(fc.string({ maxLength: 10 }).filter((k) => !wrappers.has(k)), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }).map(json),
    fc.constantFrom(json({ [s === 'network' ? 'port' : 'network']: { name: 'x' } }), json({ [s]: { name: 'x' }, extra: 1 }), json({ [s]: { name: 'x' }, [p]: [] }),
      json({ [s.toUpperCase()]: { name: 'x' } })),
    // the wrapper holding something that is not a resource
    nonObject.map((v) => wrap(s, json(v))),
    ...(forPut
      ? [fc.constantFrom(json({ [p]: [{ name: 'x' }] }))]
      : [fc.constantFrom(json({ [p]: [] }), json({ [p]: {} }), json({ [p]: null }), json({ [p]: 'x' })), listOf(nonObject).map((l) => json({ [p]: l }))]),
  );
}

function tagBodies(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.integer({ min: 1, max: 14 }).map((n) => '{"tags": ["a"]}'.slice(0, n)),
    anyValue.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => json(v) ?? 'null'),
    fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== 'tags'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }).map(json),
    anyValue.filter((v) => !Array.isArray(v)).map((v) => json({ tags: v })),
    fc.tuple(fc.array(fc.string({ minLength: 1, maxLength: 10 }).filter((t) => !t.includes(',') && !t.includes('\0')), { maxLength: 3 }),
      bad((v) => goodString(60)(v) && (v as string).length > 0 && !(v as string).includes(','), '', 'a,b', 'x'.repeat(61), 'a\0b'))
      .map(([good, b]) => json({ tags: [...good, b] })),
    fc.constantFrom(json({ tags: Array(51).fill(0).map((_, i) => `t${i}`) })),
  );
}

const truncated = (s: string) => fc.integer({ min: 1, max: s.length - 1 }).map((n) => s.slice(0, n));

/** Hostile bodies to every endpoint that reads one. */
function bodyRequests(w: World): fc.Arbitrary<Req> {
  return fc.oneof(
    fc.tuple(plural, fc.boolean()).chain(([p, put]) =>
      bodyShapes(p, put).map((body): Req => (put ? { method: 'PUT', path: `/v2.0/${p}/${w.ids[p]}`, body } : { method: 'POST', path: `/v2.0/${p}`, body })),
    ),
    plural.chain((p) => tagBodies().map((body): Req => ({ method: 'PUT', path: `/v2.0/${p}/${w.ids[p]}/tags`, body }))),
    // DELETE and PUT tag read a body too: a malformed one is refused before anything happens
    fc.tuple(plural, fc.constantFrom('', '/tags', '/tags/red', '/tags/blue', '/tags/new-tag')).chain(([p, tail]) =>
      truncated('{"anything": [1, 2, {"x": "y"}]}').map((body): Req => ({ method: tail === '/tags/new-tag' ? 'PUT' : 'DELETE', path: `/v2.0/${p}/${p === 'ports' ? w.port2 : w.ids[p]}${tail}`, body, status: 400 })),
    ),
    fc.tuple(fc.constantFrom('/', '/v2.0', '/v2.0/extensions', '/v2.0/extensions/provider'), fc.constantFrom('POST', 'PUT', 'DELETE')).chain(([path, method]) =>
      bodyShapes('networks', false).map((body): Req => ({ method, path, body })),
    ),
  );
}

/** {resource: {...valid base, attr: refused value}} to POST, {resource: {attr: refused value}} to PUT. */
function attributeRequests(w: World): fc.Arbitrary<Req> {
  const post = postSpecs(w);
  const put = putSpecs(w);
  const postArbs = PLURALS.flatMap((p) =>
    Object.entries(post[p].attrs).map(([attr, arb]) =>
      arb.map((v): Req => ({ method: 'POST', path: `/v2.0/${p}`, body: wrap(SINGULAR[p], withAttr(post[p].base, attr, v)) })),
    ),
  );
  const putArbs = PLURALS.flatMap((p) =>
    Object.entries(put[p]).map(([attr, arb]) =>
      arb.map((v): Req => ({ method: 'PUT', path: `/v2.0/${p}/${w.ids[p]}`, body: wrap(SINGULAR[p], withAttr({}, attr, v)) })),
    ),
  );
  return fc.oneof(...postArbs, ...putArbs);
}

function unknownFieldRequests(w: World): fc.Arbitrary<Req> {
  const post = postSpecs(w);
  return fc.tuple(
    plural,
    fc.boolean(),
    fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.constantFrom('constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'NAME', 'Name', 'name ',
        'tenant', 'provider:foo', 'binding:foo', 'tags-any', 'fields', 'subnet_id', 'fixed_ip', 'ipv6_mode', 'segments', 'qos_policy_id'),
    ),
    fc.jsonValue({ maxDepth: 2 }),
  )
    .filter(([p, , key]) => !ALL_ATTRIBUTES[p].includes(key))
    .map(([p, isPut, key, value]): Req => {
      const base = isPut ? { name: 'x' } : post[p].base;
      const body = wrap(SINGULAR[p], objectText([...Object.entries(base).map(([k, v]) => [k, json(v)] as [string, string]), [key, json(value)]]));
      return isPut
        ? { method: 'PUT', path: `/v2.0/${p}/${w.ids[p]}`, body, status: 400 }
        : { method: 'POST', path: `/v2.0/${p}`, body, status: 400 };
    });
}

function readOnlyRequests(w: World): fc.Arbitrary<Req> {
  const post = postSpecs(w);
  return fc.oneof(
    plural.chain((p) =>
      fc.tuple(fc.constantFrom(...READ_ONLY_PUT[p]), fc.oneof(anyValue, fc.constant('current'))).map(([attr, v]): Req => ({
        method: 'PUT', path: `/v2.0/${p}/${w.ids[p]}`, status: 400,
        // 'current' sends the value the resource has now: still not writable
        body: wrap(SINGULAR[p], withAttr({}, attr, v === 'current' ? (w.snapshot as Record<string, Array<Record<string, unknown>>>)[p].find((x) => x.id === w.ids[p])?.[attr] ?? null : v)),
      })),
    ),
    plural.chain((p) =>
      fc.tuple(fc.constantFrom(...READ_ONLY_POST[p]), anyValue).map(([attr, v]): Req => ({
        method: 'POST', path: `/v2.0/${p}`, status: [400, 413], body: wrap(SINGULAR[p], withAttr(post[p].base, attr, v)),
      })),
    ),
  );
}

/** Ids that name nothing, with path tricks, in every path that holds an id. */
function badIdRequests(w: World): fc.Arbitrary<Req> {
  const id = fc.oneof(
    fc.string({ minLength: 1, maxLength: 40 }).map(enc),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map(enc),
    fc.uuid().map(enc),
    fc.constantFrom(
      '..', '.', '...', '..%2F', '..%2F..%2Fnetworks', '%2e%2e', '%2e%2e%2fports', '%00', `${w.net}%00`, '%2F', 'a%2Fb', '%5C..%5C', '%252e%252e',
      `${w.net.toUpperCase()}`, `${w.net}x`, ` ${w.net}`.replace(' ', '%20'), `${w.net.slice(0, -1)}`, 'x'.repeat(1100), 'x'.repeat(5000),
      encodeURIComponent('é'.repeat(600)), '%E0%A4%A', '%FF', '%', '%zz', '%C0%AF', 'null', 'undefined', '0', '-1', '*', '%2A', '$', 'tags',
    ),
  );
  const tag = fc.constantFrom('red', 'blue', 'new');
  return fc.tuple(plural, id, tag, fc.integer({ min: 0, max: 8 })).map(([p, i, t, shape]): Req => {
    const base = `/v2.0/${p}/${i}`;
    // a malformed escape is a bad request; anything else names nothing
    const status = [400, 404];
    switch (shape) {
      case 0: return { method: 'GET', path: base, status, type: [`${KIND[p]}NotFound`, 'HTTPNotFound', 'HTTPBadRequest'] };
      case 1: return { method: 'PUT', path: base, body: json({ [SINGULAR[p]]: { name: 'x' } }), status };
      case 2: return { method: 'DELETE', path: base, status };
      case 3: return { method: 'GET', path: `${base}/tags`, status };
      case 4: return { method: 'PUT', path: `${base}/tags`, body: json({ tags: ['a'] }), status };
      case 5: return { method: 'DELETE', path: `${base}/tags`, status };
      case 6: return { method: 'GET', path: `${base}/tags/${t}`, status };
      case 7: return { method: 'PUT', path: `${base}/tags/${t}`, status };
      default: return { method: 'DELETE', path: `${base}/tags/${t}`, status };
    }
  });
}

/** Tags that cannot be set, and tags that are not there, on real resources. */
function badTagRequests(w: World): fc.Arbitrary<Req> {
  const existing = new Set(['red', 'blue', 'green']);
  const absent = fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }))
    .filter((t) => !existing.has(t) && t.trim() !== '' && t !== '.' && t !== '..');
  const unsettable = fc.oneof(
    fc.string({ minLength: 61, maxLength: 200 }),
    fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([a, b]) => `${a},${b}`),
    nulString,
  );
  return fc.oneof(
    fc.tuple(plural, absent, fc.constantFrom('GET', 'DELETE')).map(([p, t, method]): Req => ({
      method, path: `/v2.0/${p}/${p === 'ports' ? w.port2 : w.ids[p]}/tags/${enc(t)}`,
      // a NUL in the URL may be refused before the lookup
      ...(t.includes('\0') ? { status: [400, 404] } : { status: 404, type: 'TagNotFound' }),
    })),
    fc.tuple(plural, unsettable).map(([p, t]): Req => ({ method: 'PUT', path: `/v2.0/${p}/${w.ids[p]}/tags/${enc(t)}`, status: 400 })),
  );
}

/** Hostile query strings on the collections. */
function queryRequests(w: World): fc.Arbitrary<Req> {
  const attrNames = new Set(PLURALS.flatMap((p) => ALL_ATTRIBUTES[p]));
  const unknownKey = fc.oneof(fc.string({ maxLength: 15 }), fc.string({ unit: 'binary', maxLength: 15 }),
    fc.constantFrom('constructor', '__proto__', 'toString', 'foo', 'NAME', 'subnet', 'fixed_ip', 'tags_any', 'sort', 'page'))
    .filter((k) => !attrNames.has(k) && !LIST_CONTROLS.includes(k));
  const junk = fc.oneof(fc.string({ maxLength: 15 }), fc.string({ unit: 'binary', maxLength: 15 }));
  const q = (p: Plural, params: Array<[string, string]>, status?: number | number[], type?: string): Req => ({
    method: 'GET', path: `/v2.0/${p}?${params.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')}`, status, type,
  });
  return fc.oneof(
    fc.tuple(plural, unknownKey, junk).map(([p, k, v]) => q(p, [[k, v]], 400)),
    // attributes that exist but are no filters
    fc.tuple(fc.constantFrom<[Plural, string]>(['networks', 'subnets'], ['networks', 'availability_zone_hints'],
      ['subnets', 'allocation_pools'], ['subnets', 'dns_nameservers'], ['subnets', 'host_routes'], ['ports', 'allowed_address_pairs'],
      ['ports', 'binding:profile'], ['ports', 'extra_dhcp_opts'], ['networks', 'fixed_ips'], ['subnets', 'fixed_ips']), junk)
      .map(([[p, k], v]) => q(p, [[k, v]], 400)),
    fc.tuple(plural, junk.filter((v) => !/^\d{1,9}$/.test(v)), fc.constantFrom('-1', 'abc', '1.5', '1e3', '', ' 1', '+1', '0x10', '9999999999', '-0'))
      .chain(([p, a, b]) => fc.constantFrom(a, b).map((v) => q(p, [['limit', v]], 400))),
    fc.tuple(plural, fc.oneof(unknownKey, fc.constantFrom('tags', 'subnets', 'fixed_ips', 'allocation_pools', 'binding:profile', 'extra_dhcp_opts')))
      .map(([p, k]) => q(p, [['sort_key', k]], 400)),
    fc.tuple(plural, junk.filter((d) => !['asc', 'desc'].includes(d.toLowerCase()))).map(([p, d]) => q(p, [['sort_key', 'name'], ['sort_dir', d]], 400)),
    fc.tuple(plural).map(([p]) => q(p, [['sort_dir', 'asc']], 400)),
    fc.tuple(plural).map(([p]) => q(p, [['sort_key', 'name'], ['sort_key', 'id'], ['sort_dir', 'asc']], 400)),
    fc.tuple(plural, junk.filter((v) => !['true', 'false', '1', '0'].includes(v.toLowerCase()))).map(([p, v]) => q(p, [['page_reverse', v]], 400)),
    fc.tuple(plural, fc.oneof(junk.filter((v) => v !== ''), fc.uuid(), fc.constant(w.net), fc.constant(w.port1)))
      .filter(([p, m]) => m !== w.ids[p] && !(p === 'ports' && m === w.port2))
      .map(([p, m]) => q(p, [['marker', m], ['limit', '1']], [400, 404])),
    // converters refuse these filter values
    fc.tuple(fc.constantFrom<[Plural, string]>(['networks', 'shared'], ['networks', 'admin_state_up'], ['networks', 'router:external'],
      ['subnets', 'enable_dhcp'], ['ports', 'admin_state_up'], ['ports', 'port_security_enabled']), junk.filter((v) => !boolLike(v)))
      .map(([[p, k], v]) => q(p, [[k, v]], 400)),
    fc.tuple(fc.constantFrom<[Plural, string]>(['networks', 'mtu'], ['subnets', 'ip_version'], ['ports', 'revision_number'],
      ['networks', 'provider:segmentation_id']), junk.filter((v) => !/^-?\d{1,15}$/.test(v)))
      .map(([[p, k], v]) => q(p, [[k, v]], 400)),
    fc.tuple(junk.filter((v) => !v.includes('=') && !['ip_address', 'subnet_id', 'ip_address_substr'].includes(v))).map(([v]) => q('ports', [['fixed_ips', v]], 400)),
    fc.tuple(junk.filter((v) => v.includes('=') && !/^(ip_address|subnet_id|ip_address_substr)=/.test(v))).map(([v]) => q('ports', [['fixed_ips', v]], 400)),
  );
}

/** Queries that may be answered: any value for a real filter, any fields; never a 5xx, never a change. */
function harmlessQueryRequests(w: World): fc.Arbitrary<Req> {
  const value = fc.oneof(
    fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), nulString,
    fc.bigInt({ min: -(10n ** 15n) + 1n, max: 10n ** 15n - 1n }).map(String), fc.integer().map(String),
    fc.constantFrom('', '%', '_', '\\', "'", '"', '; DROP TABLE networks; --', 'x'.repeat(2000), w.net, w.subnet, 'ip_address=10.0.0.20',
      'ip_address_substr=10.0', `subnet_id=${w.subnet}`, 'ip_address=%', 'ip_address_substr=%_'),
  );
  const filters: Record<Plural, string[]> = {
    networks: ['id', 'name', 'description', 'tenant_id', 'project_id', 'status', 'mtu', 'revision_number', 'provider:network_type',
      'provider:physical_network', 'provider:segmentation_id', 'created_at', 'tags', 'tags-any', 'not-tags', 'not-tags-any', 'fields'],
    subnets: ['id', 'name', 'network_id', 'cidr', 'gateway_ip', 'ip_version', 'ipv6_ra_mode', 'subnetpool_id', 'revision_number', 'tags', 'fields'],
    ports: ['id', 'name', 'network_id', 'mac_address', 'device_id', 'device_owner', 'status', 'binding:host_id', 'binding:vnic_type', 'fixed_ips',
      'security_groups', 'revision_number', 'tags', 'not-tags', 'fields'],
  };
  return plural.chain((p) =>
    fc.array(fc.tuple(fc.constantFrom(...filters[p]), value), { minLength: 1, maxLength: 3 }).chain((params) =>
      fc.constantFrom('', `/${w.ids[p]}`).map((item): Req => ({
        method: 'GET', path: `/v2.0/${p}${item}?${params.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')}`,
      })),
    ),
  );
}

/** Batches where one item is refused: nothing of the batch may stay, not even what came first. */
function bulkRequests(w: World): fc.Arbitrary<Req> {
  const post = postSpecs(w);
  const good: Record<Plural, (i: number) => Record<string, unknown>> = {
    networks: (i) => ({ name: `bulk-${i}`, ...(i % 2 ? { 'provider:network_type': 'vlan' } : {}) }),
    subnets: (i) => ({ network_id: w.net, cidr: `10.${100 + i}.0.0/24`, ip_version: 4 }),
    ports: (i) => ({ network_id: w.net, name: `bulk-${i}`, ...(i % 2 ? { tenant_id: 'another-project' } : {}) }),
  };
  // refused inside the transaction, after the items before them were written
  const late: Record<Plural, Array<Array<Record<string, unknown>>>> = {
    networks: [
      [{ 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 150 },
        { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 150 }],
      [{ 'provider:network_type': 'flat', 'provider:physical_network': 'physnet9' }, { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet9' }],
      [{ 'provider:network_type': 'vxlan', 'provider:segmentation_id': 900 }, { 'provider:network_type': 'vxlan', 'provider:segmentation_id': 900 }],
      [{ mtu: 1451 }],
      [{ 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 4095 }],
    ],
    subnets: [
      [{ network_id: w.net, cidr: '10.200.0.0/24', ip_version: 4 }, { network_id: w.net, cidr: '10.200.0.0/25', ip_version: 4 }],
      [{ network_id: w.net, cidr: '10.0.0.0/16', ip_version: 4 }],
      [{ network_id: w.net, cidr: '10.201.0.0/24', ip_version: 4, allocation_pools: [{ start: '10.201.0.1', end: '10.201.0.9' }] }],
      [{ network_id: w.net, cidr: '10.202.0.0/24', ip_version: 6 }],
      [{ network_id: randomUUID(), cidr: '10.203.0.0/24', ip_version: 4 }],
    ],
    ports: [
      [{ network_id: w.net, fixed_ips: [{ ip_address: '10.0.0.40' }] }, { network_id: w.net, fixed_ips: [{ ip_address: '10.0.0.40' }] }],
      [{ network_id: w.net, mac_address: 'fa:16:3e:aa:bb:cc' }, { network_id: w.net, mac_address: 'fa:16:3e:aa:bb:cc' }],
      [{ network_id: w.net, fixed_ips: [{ ip_address: '10.0.0.1' }] }],
      [{ network_id: w.net, security_groups: [randomUUID()] }],
      [{ network_id: w.net, fixed_ips: [{ subnet_id: w.subnet, ip_address: '10.0.0.41' }, { subnet_id: w.subnet, ip_address: '10.0.0.20' }] }],
      [{ network_id: randomUUID() }],
    ],
  };
  return plural.chain((p) => {
    const early = fc.constantFrom(...Object.keys(post[p].attrs)).chain((attr) =>
      post[p].attrs[attr].map((v) => [JSON.parse(withAttr(post[p].base, attr, v)) as Record<string, unknown>]));
    return fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.oneof(fc.constantFrom(...late[p]), early), fc.boolean())
      .map(([n, at, badItems, wrapped]): Req => {
        const items: Array<Record<string, unknown>> = Array.from({ length: n }, (_, i) => good[p](i));
        items.splice(Math.min(at, items.length), 0, ...badItems);
        return { method: 'POST', path: `/v2.0/${p}`, body: json({ [p]: items.map((it) => (wrapped ? { [SINGULAR[p]]: it } : it)) }) };
      });
  });
}

function oversizeRequests(w: World): fc.Arbitrary<Req> {
  return fc.tuple(plural, fc.integer({ min: BODY_LIMIT - 20, max: BODY_LIMIT * 3 }), fc.constantFrom('POST', 'PUT', 'PUT tags', 'DELETE'))
    .map(([p, size, m]): Req => {
      const head = `{"${SINGULAR[p]}": {"name": "`;
      // a DELETE with a readable body would go ahead: its body is left unterminated
      const tail = m === 'DELETE' ? '' : '"}}';
      const body = head + 'x'.repeat(Math.max(0, size - head.length - tail.length)) + tail;
      const path = m === 'POST' ? `/v2.0/${p}` : m === 'PUT' || m === 'DELETE' ? `/v2.0/${p}/${w.ids[p]}` : `/v2.0/${p}/${w.ids[p]}/tags`;
      return { method: m.split(' ')[0], path, body, status: Buffer.byteLength(body) > BODY_LIMIT ? 413 : 400 };
    });
}

function contentTypeRequests(w: World): fc.Arbitrary<Req> {
  const ct = fc.oneof(
    fc.string({ unit: 'binary-ascii', maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
    fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
      'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/json; charset=bogus', 'application/octet-stream',
      '*/*', 'application/*', ';', 'application/json;;', '', 'APPLICATION/JSON', 'application/merge-patch+json'),
  );
  return fc.tuple(plural, fc.boolean(), ct).chain(([p, put, type]) => bodyShapes(p, put).map((body): Req => ({
    method: put ? 'PUT' : 'POST', path: put ? `/v2.0/${p}/${w.ids[p]}` : `/v2.0/${p}`, body, headers: { 'content-type': type },
  })));
}

// ---------------------------------------------------------------- hand-written cases

function handCases(w: World): Req[] {
  const N = w.net;
  const S = w.subnet;
  const net = (b: unknown, status?: number | number[], type?: string | string[]): Req => ({ method: 'POST', path: '/v2.0/networks', body: json({ network: b }), status, type });
  const sub = (b: Record<string, unknown>, status?: number | number[], type?: string | string[]): Req =>
    ({ method: 'POST', path: '/v2.0/subnets', body: json({ subnet: { network_id: N, ip_version: 4, ...b } }), status, type });
  const port = (b: Record<string, unknown>, status?: number | number[], type?: string | string[]): Req =>
    ({ method: 'POST', path: '/v2.0/ports', body: json({ port: { network_id: N, ...b } }), status, type });
  const putSub = (b: unknown, status?: number | number[], type?: string | string[]): Req =>
    ({ method: 'PUT', path: `/v2.0/subnets/${S}`, body: json({ subnet: b }), status, type });
  const putPort = (b: unknown, status?: number | number[], type?: string | string[]): Req =>
    ({ method: 'PUT', path: `/v2.0/ports/${w.port1}`, body: json({ port: b }), status, type });
  const get = (path: string, status?: number | number[], type?: string | string[]): Req => ({ method: 'GET', path, status, type });
  const invalid = ['HTTPBadRequest', 'InvalidInput'];
  return [
    // bodies
    { method: 'POST', path: '/v2.0/networks', body: '{"network": {"name": "x"', status: 400, type: 'HTTPBadRequest' },
    { method: 'POST', path: '/v2.0/networks', body: '[]', status: 400 },
    { method: 'POST', path: '/v2.0/networks', body: '42', status: 400 },
    { method: 'POST', path: '/v2.0/networks', body: '"network"', status: 400 },
    { method: 'POST', path: '/v2.0/networks', body: 'null', status: 400 },
    { method: 'POST', path: '/v2.0/networks', body: '', status: 400 },
    { method: 'POST', path: '/v2.0/networks', status: 400 },
    { method: 'POST', path: '/v2.0/subnets', body: json({ network: { name: 'x' } }), status: 400 },
    { method: 'PUT', path: `/v2.0/networks/${N}`, body: '', status: 400 },
    { method: 'PUT', path: `/v2.0/networks/${N}`, status: 400 },
    { method: 'PUT', path: `/v2.0/networks/${N}/tags`, status: 400 },
    { method: 'POST', path: '/v2.0/networks', body: Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d]), status: 400 },
    { method: 'POST', path: '/v2.0/networks', body: `{"network": {"name": ${'['.repeat(20000)}${']'.repeat(20000)}}}`, status: 400 },
    { method: 'POST', path: '/v2.0/ports', body: `{"port": {"network_id": "${N}", "binding:profile": ${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}`, status: 400 },
    { method: 'POST', path: '/v2.0/networks', body: '{"network": {"name": "a\\u0000b"}}', status: 400 },
    { method: 'POST', path: '/v2.0/networks', body: '{"network": {"toString": "x"}}', status: 400 },
    { method: 'POST', path: '/v2.0/networks', body: '{"network": {"__proto__": {"name": "x"}}}', status: 400 },
    { method: 'POST', path: '/v2.0/networks', body: '{"network": {"constructor": {}}}', status: 400 },
    { method: 'PUT', path: `/v2.0/networks/${N}`, body: '{"network": {"hasOwnProperty": 1}}', status: 400 },
    { method: 'POST', path: '/v2.0/ports', body: json({ port: { network_id: N, fixed_ips: [{ ip_address: '10.0.0.45', toString: 1 }] } }), status: 400 },
    { method: 'POST', path: '/v2.0/networks', body: '{"network": {"name": "x"},', headers: { 'content-type': null }, status: [400, 415] },
    { method: 'POST', path: '/v2.0/networks', body: '{"network": {"name": "x"}', headers: { 'content-type': 'text/plain' }, status: 400 },
    { method: 'POST', path: '/v2.0/networks', body: 'x'.repeat(BODY_LIMIT + 1), status: 413, type: 'HTTPRequestEntityTooLarge' },
    { method: 'POST', path: '/v2.0/networks', body: '{"network": {"name": "x"}}', headers: { 'x-project-id': 'p'.repeat(256) }, status: 400 },
    { method: 'POST', path: '/v2.0/ports', body: json({ port: { network_id: N } }), headers: { 'x-tenant-id': 'p'.repeat(300) }, status: 400 },
    { method: 'POST', path: '/v2.0/networks', body: json({ network: { name: 'x', description: 'd'.repeat(BODY_LIMIT) } }), status: 413 },
    { method: 'PUT', path: `/v2.0/ports/${w.port1}/tags`, body: json({ tags: Array(30000).fill('tag') }), status: 413 },
    // networks
    net({ name: 'x'.repeat(256) }, 400, 'HTTPBadRequest'),
    net({ admin_state_up: 'maybe' }, 400, invalid),
    net({ mtu: 67 }, 400), net({ mtu: 65536 }, 400), net({ mtu: 9000 }, 400, invalid), net({ mtu: 'abc' }, 400),
    net({ 'provider:network_type': 'geneve' }, 400, 'InvalidInput'),
    net({ 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet9', 'provider:segmentation_id': 5 }, 400),
    net({ 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 4095 }, 400),
    net({ 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 0 }, 400),
    net({ 'provider:network_type': 'vxlan', 'provider:segmentation_id': 2 ** 24 }, 400),
    net({ 'provider:network_type': 'vxlan', 'provider:physical_network': 'physnet1' }, 400),
    net({ 'provider:network_type': 'gre', 'provider:segmentation_id': 2 ** 32 }, 400),
    net({ 'provider:network_type': 'flat' }, 400),
    net({ 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 5 }, 400),
    net({ 'provider:network_type': 'local', 'provider:segmentation_id': 5 }, 400),
    net({ 'provider:physical_network': 'physnet1' }, 400),
    net({ 'provider:segmentation_id': 'abc' }, 400),
    net({ 'provider:segmentation_id': 1e300, 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1' }, 400),
    net({ id: randomUUID() }, 400), net({ status: 'DOWN' }, 400), net({ tenant_id: 'a', project_id: 'b' }, 400),
    net({ tenant_id: 5 }, 400), net({ project_id: null }, 400), net({ availability_zone_hints: 'nova' }, 400),
    // subnets: cidrs, ips, pools, gateways
    sub({ cidr: '10.0.0.0/33' }, 400, invalid), sub({ cidr: '300.1.1.1/24' }, 400, invalid), sub({ cidr: '::/129', ip_version: 6 }, 400, invalid),
    sub({ cidr: 'abc' }, 400, invalid), sub({ cidr: '10.1.0.5/24' }, 400, invalid), sub({ cidr: '10.0.0.0/24' }, 400, 'InvalidInput'),
    sub({ cidr: '10.0.0.0/25' }, 400, 'InvalidInput'), sub({ cidr: '2001:db8::/64' }, 400, 'InvalidInput'), sub({ cidr: 5 }, 400),
    sub({ cidr: null }, 400), sub({}, 400), sub({ cidr: '10.1.0.0/24', ip_version: 5 }, 400), sub({ cidr: '10.1.0.0/24', ip_version: 'four' }, 400),
    sub({ cidr: '10.1.0.0/24', network_id: randomUUID() }, 404, 'NetworkNotFound'),
    sub({ cidr: '10.1.0.0/24', network_id: 'not-a-uuid' }, 400),
    sub({ cidr: '10.1.0.0/24', gateway_ip: '10.1.0.0' }, 400), sub({ cidr: '10.1.0.0/24', gateway_ip: '10.1.0.255' }, 400),
    sub({ cidr: '10.1.0.0/24', gateway_ip: '::1' }, 400), sub({ cidr: '10.1.0.0/24', gateway_ip: '10.1.0.300' }, 400),
    sub({ cidr: '10.1.0.0/24', allocation_pools: [{ start: '10.1.0.300', end: '10.1.0.9' }] }, 400),
    sub({ cidr: '10.1.0.0/24', allocation_pools: [{ start: '10.1.0.9', end: '10.1.0.2' }] }, 400, 'InvalidAllocationPool'),
    sub({ cidr: '10.1.0.0/24', allocation_pools: [{ start: '10.2.0.2', end: '10.2.0.9' }] }, 400, 'OutOfBoundsAllocationPool'),
    sub({ cidr: '10.1.0.0/24', allocation_pools: [{ start: '10.1.0.2', end: '10.1.0.100' }, { start: '10.1.0.50', end: '10.1.0.150' }] }, 409, 'OverlappingAllocationPools'),
    sub({ cidr: '10.1.0.0/24', gateway_ip: '10.1.0.5', allocation_pools: [{ start: '10.1.0.2', end: '10.1.0.9' }] }, 409, 'GatewayConflictWithAllocationPools'),
    sub({ cidr: '10.1.0.0/24', allocation_pools: [{ start: '10.1.0.1', end: '10.1.0.9' }] }, 409, 'GatewayConflictWithAllocationPools'),
    sub({ cidr: '10.1.0.0/24', dns_nameservers: ['8.8.8.300'] }, 400), sub({ cidr: '10.1.0.0/24', dns_nameservers: ['8.8.8.8', '8.8.8.8'] }, 400),
    sub({ cidr: '10.1.0.0/24', host_routes: [{ destination: '10.2.0.5/24', nexthop: '10.1.0.9' }] }, 400),
    sub({ cidr: '10.1.0.0/24', ipv6_address_mode: 'slaac' }, 400), sub({ cidr: '10.1.0.0/24', subnetpool_id: 'pool' }, 400),
    sub({ cidr: '10.1.0.0/24', subnetpool_id: randomUUID() }, 404, 'SubnetPoolNotFound'),
    sub({ cidr: '2001:db8::/64', ip_version: 6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'dhcpv6-stateful' }, 400),
    sub({ cidr: '2001:db8::/80', ip_version: 6, ipv6_address_mode: 'slaac' }, 400),
    sub({ cidr: '2001:db8::/64', ip_version: 6, ipv6_address_mode: 'slaac', enable_dhcp: false }, 400),
    putSub({ cidr: '10.0.0.0/16' }, 400), putSub({ ip_version: 6 }, 400), putSub({ network_id: randomUUID() }, 400),
    putSub({ gateway_ip: '10.0.0.50' }, 409, 'GatewayConflictWithAllocationPools'), putSub({ gateway_ip: '10.0.0.255' }, 400),
    putSub({ gateway_ip: '2001:db8::1' }, 400),
    putSub({ allocation_pools: [{ start: '10.0.0.1', end: '10.0.0.9' }] }, 409, 'GatewayConflictWithAllocationPools'),
    putSub({ allocation_pools: [{ start: '10.0.0.9', end: '10.0.0.2' }] }, 400, 'InvalidAllocationPool'),
    putSub({ allocation_pools: [{ start: '10.0.1.2', end: '10.0.1.9' }] }, 400, 'OutOfBoundsAllocationPool'),
    putSub({ allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.100' }, { start: '10.0.0.50', end: '10.0.0.60' }] }, 409, 'OverlappingAllocationPools'),
    putSub({ allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.9' }], gateway_ip: '10.0.0.5' }, 409),
    // ports: ips, macs, groups
    port({ fixed_ips: [{ ip_address: '10.0.0.1' }] }, 409, 'IpAddressAlreadyAllocated'),
    port({ fixed_ips: [{ ip_address: '10.0.0.20' }] }, 409, 'IpAddressAlreadyAllocated'),
    port({ fixed_ips: [{ subnet_id: S, ip_address: '10.1.0.5' }] }, 400, 'InvalidIpForSubnet'),
    port({ fixed_ips: [{ subnet_id: S, ip_address: '10.0.0.0' }] }, 400, 'InvalidIpForSubnet'),
    port({ fixed_ips: [{ subnet_id: S, ip_address: '10.0.0.255' }] }, 400, 'InvalidIpForSubnet'),
    port({ fixed_ips: [{ ip_address: '10.9.9.9' }] }, 400, 'InvalidIpForNetwork'),
    port({ fixed_ips: [{ ip_address: '10.0.0.300' }] }, 400, 'HTTPBadRequest'),
    port({ fixed_ips: [{ ip_address: '10.0.0.050' }] }, 400),
    port({ fixed_ips: [{ subnet_id: randomUUID() }] }, 400, 'InvalidInput'),
    port({ fixed_ips: [{ subnet_id: 'x' }] }, 400, 'HTTPBadRequest'),
    port({ fixed_ips: [{ ip_address: '10.0.0.46' }, { ip_address: '10.0.0.46', subnet_id: S }] }, 409),
    port({ fixed_ips: [{ ip_address: '10.0.0.47' }, { ip_address: '10.0.0.20' }] }, 409),
    port({ mac_address: w.mac1 }, 409, 'MacAddressInUse'), port({ mac_address: w.mac1.toUpperCase() }, 409, 'MacAddressInUse'),
    port({ mac_address: '00:00:00:00:00:00' }, 400), port({ mac_address: 'ff:ff:ff:ff:ff:ff' }, 400), port({ mac_address: 'fa:16:3e:00:00' }, 400),
    port({ mac_address: 'fa:16:3e:zz:00:01' }, 400), port({ mac_address: null }, 400), port({ mac_address: 5 }, 400),
    port({ network_id: randomUUID() }, 404, 'NetworkNotFound'), port({ network_id: 'not-a-uuid' }, 400), port({ network_id: S }, 404),
    port({ security_groups: [randomUUID()] }, 404, 'SecurityGroupNotFound'), port({ security_groups: ['default'] }, 400),
    port({ port_security_enabled: false, security_groups: [randomUUID()] }, [400, 404]),
    port({ 'binding:vnic_type': 'bogus' }, 400), port({ 'binding:profile': 'x' }, 400), port({ 'binding:vif_type': 'ovs' }, 400),
    port({ allowed_address_pairs: [{ ip_address: 'abc' }] }, 400), port({ allowed_address_pairs: [{ ip_address: '10.0.0.0/33' }] }, 400),
    port({ allowed_address_pairs: [{ mac_address: 'fa:16:3e:00:00:01' }] }, 400),
    port({ extra_dhcp_opts: [{ opt_value: 'x' }] }, 400),
    putPort({ mac_address: w.mac2 }, 409, 'MacAddressInUse'), putPort({ fixed_ips: [{ ip_address: '10.0.0.20' }] }, 409),
    putPort({ fixed_ips: [{ ip_address: w.ip1 }, { ip_address: '10.0.0.1' }] }, 409), putPort({ fixed_ips: [{ subnet_id: randomUUID() }] }, 400),
    putPort({ network_id: randomUUID() }, 400), putPort({ security_groups: [randomUUID()] }, 404),
    putPort({ port_security_enabled: false }, [400, 409]), putPort({ status: 'ACTIVE' }, 400), putPort({ device_owner: 5 }, 400),
    // tags
    { method: 'PUT', path: `/v2.0/networks/${N}/tags`, body: json({ tags: 'red' }), status: 400 },
    { method: 'PUT', path: `/v2.0/networks/${N}/tags`, body: json({ tags: [1] }), status: 400 },
    { method: 'PUT', path: `/v2.0/networks/${N}/tags`, body: json({ tags: ['a,b'] }), status: 400 },
    { method: 'PUT', path: `/v2.0/networks/${N}/tags`, body: json({ tags: [''] }), status: 400 },
    { method: 'PUT', path: `/v2.0/networks/${N}/tags`, body: json({ tags: ['x'.repeat(61)] }), status: 400 },
    { method: 'PUT', path: `/v2.0/networks/${N}/tags`, body: json({ tags: ['ok', 'a\u0000b'] }), status: 400 },
    { method: 'PUT', path: `/v2.0/networks/${N}/tags`, body: json({ tags: Array(51).fill(0).map((_, i) => `t${i}`) }), status: 400 },
    { method: 'PUT', path: `/v2.0/networks/${N}/tags`, body: json({ tag: ['x'] }), status: 400 },
    { method: 'PUT', path: `/v2.0/networks/${N}/tags/a,b`, status: 400 },
    { method: 'PUT', path: `/v2.0/networks/${N}/tags/${'x'.repeat(61)}`, status: 400 },
    { method: 'PUT', path: `/v2.0/networks/${N}/tags/a%00b`, status: 400 },
    { method: 'PUT', path: `/v2.0/networks/${N}/tags/${'x'.repeat(3000)}`, status: 400 },
    { method: 'GET', path: `/v2.0/networks/${N}/tags/blue`, status: 404, type: 'TagNotFound' },
    { method: 'DELETE', path: `/v2.0/networks/${N}/tags/blue`, status: 404, type: 'TagNotFound' },
    { method: 'DELETE', path: `/v2.0/networks/${N}/tags/%00`, status: [400, 404] },
    { method: 'POST', path: `/v2.0/networks/${N}/tags`, body: json({ tags: ['x'] }), status: 405 },
    { method: 'POST', path: `/v2.0/networks/${N}/tags/x`, status: 405 },
    { method: 'GET', path: `/v2.0/networks/${randomUUID()}/tags`, status: 404, type: 'NetworkNotFound' },
    { method: 'PUT', path: `/v2.0/subnets/${randomUUID()}/tags/x`, status: 404, type: 'SubnetNotFound' },
    { method: 'DELETE', path: `/v2.0/ports/${randomUUID()}/tags`, status: 404, type: 'PortNotFound' },
    { method: 'PUT', path: `/v2.0/ports/${w.net}/tags`, body: json({ tags: ['x'] }), status: 404, type: 'PortNotFound' },
    // methods and paths
    { method: 'DELETE', path: '/v2.0/networks', status: 405 }, { method: 'PUT', path: '/v2.0/ports', body: json({ port: {} }), status: 405 },
    { method: 'POST', path: `/v2.0/networks/${N}`, body: json({ network: {} }), status: 405 },
    { method: 'PATCH', path: `/v2.0/networks/${N}`, body: json({ network: { name: 'x' } }), status: [404, 405] },
    { method: 'POST', path: '/', body: '{}', status: [404, 405] }, { method: 'PUT', path: '/v2.0', body: '{}', status: [404, 405] },
    { method: 'DELETE', path: '/v2.0/extensions', status: [404, 405] }, { method: 'POST', path: '/v2.0/extensions', body: json({ extension: {} }), status: [404, 405] },
    get('/v2.0/extensions/bogus', 404), get(`/v2.0/extensions/${'x'.repeat(3000)}`, 404), get('/v2.0/extensions/%00', [400, 404]),
    get('/v2.0/routers', 404), get('/v2.0/networks/x/y', 404), get('/v3/networks', 404), get('/v2.0/networks.xml', 404),
    get('/v2.0/networks/%E0%A4%A', [400, 404]), get('/v2.0/%ZZ', [400, 404]),
    // ids
    get(`/v2.0/networks/${randomUUID()}`, 404, 'NetworkNotFound'), get(`/v2.0/subnets/${randomUUID()}`, 404, 'SubnetNotFound'),
    get(`/v2.0/ports/${randomUUID()}`, 404, 'PortNotFound'), get(`/v2.0/ports/${N}`, 404, 'PortNotFound'),
    get('/v2.0/networks/..%2F..%2Fports', 404), get('/v2.0/networks/%2e%2e', 404), get('/v2.0/networks/%00', [400, 404]),
    get(`/v2.0/networks/${'x'.repeat(1025)}`, 404), get(`/v2.0/networks/${'x'.repeat(10000)}`, 404), get(`/v2.0/subnets/${enc('é'.repeat(2000))}`, 404),
    { method: 'GET', path: `/v2.0/networks/${'x'.repeat(20000)}`, status: [404, 414, 431] },
    { method: 'DELETE', path: `/v2.0/networks/${'x'.repeat(1025)}`, status: 404 },
    { method: 'PUT', path: `/v2.0/ports/${'x'.repeat(1025)}`, body: json({ port: { name: 'x' } }), status: 404 },
    { method: 'DELETE', path: `/v2.0/networks/${N}/tags/${'x'.repeat(1025)}`, status: 404 },
    // refused deletes of things in use
    { method: 'DELETE', path: `/v2.0/networks/${N}`, status: 409, type: 'NetworkInUse' },
    { method: 'DELETE', path: `/v2.0/subnets/${S}`, status: 409, type: 'SubnetInUse' },
    { method: 'DELETE', path: `/v2.0/ports/${w.port1}`, body: '{"port": ', status: 400 },
    // queries
    get('/v2.0/networks?foo=bar', 400), get('/v2.0/networks?sort_key=subnets', 400), get('/v2.0/networks?sort_key=bogus', 400),
    get('/v2.0/networks?limit=-1', 400), get('/v2.0/networks?limit=abc', 400), get(`/v2.0/networks?marker=${randomUUID()}`, 404, 'NetworkNotFound'),
    get('/v2.0/networks?marker=nonexistent&limit=1', 404), get('/v2.0/networks?page_reverse=maybe', 400, 'InvalidInput'),
    get('/v2.0/networks?sort_key=name&sort_dir=up', 400), get('/v2.0/networks?sort_dir=asc', 400), get('/v2.0/networks?shared=maybe', 400),
    get('/v2.0/networks?mtu=abc', 400), get('/v2.0/ports?fixed_ips=bogus', 400), get('/v2.0/ports?fixed_ips=mac=1', 400),
    get('/v2.0/networks?constructor=1', 400), get('/v2.0/networks?__proto__=1', 400), get('/v2.0/networks?sort_key=constructor', 400),
    get(`/v2.0/subnets?marker=${N}`, 404, 'SubnetNotFound'), get('/v2.0/networks?marker=%00', [400, 404]),
  ];
}

/** Requests that may be answered but must not change a thing (reads with junk, GETs of the documents). */
function harmlessCases(w: World): Req[] {
  return [
    { method: 'GET', path: '/?foo=bar&limit=-1' }, { method: 'GET', path: '/v2.0?sort_key=x' }, { method: 'GET', path: '/v2.0/extensions?marker=x' },
    { method: 'GET', path: '/v2.0/extensions/provider?fields=x' },
    { method: 'GET', path: `/v2.0/networks/${w.net}?fields=bogus&fields=${'x'.repeat(1000)}` },
    { method: 'GET', path: '/v2.0/networks?mtu=99999999999' }, { method: 'GET', path: '/v2.0/networks?mtu=-99999999999' },
    { method: 'GET', path: '/v2.0/networks?revision_number=999999999999999' }, { method: 'GET', path: '/v2.0/subnets?ip_version=99999999999' },
    { method: 'GET', path: '/v2.0/ports?revision_number=-999999999999999' },
    { method: 'GET', path: '/v2.0/networks?provider:segmentation_id=999999999999999' },
    { method: 'GET', path: '/v2.0/networks?limit=999999999' }, { method: 'GET', path: '/v2.0/networks?limit=0' },
    { method: 'GET', path: `/v2.0/ports?fixed_ips=${enc('ip_address=%')}&fixed_ips=${enc('subnet_id=x')}` },
    { method: 'GET', path: `/v2.0/ports?security_groups=x&security_groups=${randomUUID()}` },
    { method: 'GET', path: `/v2.0/ports?mac_address=${enc("' OR 1=1 --")}` },
    { method: 'GET', path: `/v2.0/networks?name=${'x'.repeat(5000)}` },
    { method: 'GET', path: '/v2.0/networks?name=%00' }, { method: 'GET', path: '/v2.0/networks?tags=%00' },
    { method: 'GET', path: `/v2.0/ports?device_id=${enc('a\0b')}&fixed_ips=${enc('ip_address=\0')}` },
    { method: 'GET', path: '/v2.0/networks?name=%E0%A4%A&description=%' },
    { method: 'GET', path: `/v2.0/networks?${Array(2000).fill('id=abcd').join('&')}` },
    { method: 'GET', path: `/v2.0/networks?tags=${Array(2500).fill(0).map((_, i) => `t${i}`).join(',')}` },
    { method: 'GET', path: '/v2.0/networks', headers: { 'x-project-id': 'p'.repeat(300) } },
  ];
}

// ---------------------------------------------------------------- the suite

for (const backend of backends()) {
  describe(`bad input gets a clear error and loses nothing (${backend.name})`, () => {
    let w: World;
    before(async () => {
      w = await buildWorld(backend);
    });
    after(async () => {
      await w?.s.close();
    });

    it('the hand-written cases are refused with the right status', async (t) => {
      const failures: string[] = [];
      const cases = handCases(w);
      t.diagnostic(`${cases.length} hand-written cases`);
      for (const req of cases) {
        const a = await send(w.s.url, req);
        try {
          assertRefused(req, a);
          assert.equal(await fingerprint(w.s), w.fingerprint, `${show(req)} (answered ${a.status}) changed the database`);
        } catch (e) {
          failures.push((e as Error).message.split('\n')[0]);
          // go on from the world as it is now, so one failure does not hide the others
          w.fingerprint = await fingerprint(w.s);
        }
      }
      assert.deepEqual(failures, []);
      await assertUnchanged(w, 'the hand-written cases');
    });

    it('reads with junk are answered or refused, never 5xx, and change nothing', async (t) => {
      const cases = harmlessCases(w);
      t.diagnostic(`${cases.length} hand-written cases`);
      for (const req of cases) assertHarmless(req, await send(w.s.url, req));
      await property(w, harmlessQueryRequests(w), assertHarmless);
      await assertUnchanged(w, 'harmless reads');
    });

    it('property: malformed, truncated and mis-shaped bodies on every endpoint', async () => {
      await property(w, bodyRequests(w));
      await assertUnchanged(w, 'malformed bodies');
    });

    it('property: a refused value for any attribute, on create and on update', async () => {
      await property(w, attributeRequests(w), assertRefused, RUNS * 3);
      await assertUnchanged(w, 'refused attribute values');
    });

    it('property: unknown fields', async () => {
      await property(w, unknownFieldRequests(w));
      await assertUnchanged(w, 'unknown fields');
    });

    it('property: read-only fields on create and update', async () => {
      await property(w, readOnlyRequests(w));
      await assertUnchanged(w, 'read-only fields');
    });

    it('property: ids that name nothing, path tricks included', async () => {
      await property(w, badIdRequests(w));
      await assertUnchanged(w, 'bad ids');
    });

    it('property: tags that cannot be set or are not there', async () => {
      await property(w, badTagRequests(w));
      await assertUnchanged(w, 'bad tags');
    });

    it('property: hostile query strings', async () => {
      await property(w, queryRequests(w));
      await assertUnchanged(w, 'hostile queries');
    });

    it('property: a bulk create with one refused item leaves no row, address or segment', async () => {
      await property(w, bulkRequests(w));
      await assertUnchanged(w, 'refused bulk creates');
    });

    it('property: bodies over the limit are 413', async () => {
      await property(w, oversizeRequests(w), assertRefused, Math.min(RUNS, 50));
      await assertUnchanged(w, 'oversized bodies');
    });

    it('property: any Content-Type with a bad body', async () => {
      await property(w, contentTypeRequests(w));
      await assertUnchanged(w, 'content types');
    });

    it('the world is exactly as it was', async () => {
      await assertUnchanged(w, 'the whole suite');
    });
  });
}
