// Replays the exchanges recorded from Neutron 21 (test/fixtures/neutron-golden)
// against cloudlet and compares status, error types and messages, and every
// field and value — except what the fixtures' README calls the server's
// choice: ids, timestamps, MACs, request ids, segmentation ids and
// addresses taken from a pool. Those are mapped: the first time a recorded
// value is seen, the value cloudlet chose is remembered, and every later
// occurrence must agree, so consistency across steps is still checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backends } from '../support/backends.js';
import { startNetwork } from '../support/network-server.js';

interface Exchange {
  request: { method: string; path: string; body: unknown };
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const dir = join(import.meta.dirname, '..', 'fixtures', 'neutron-golden');
const steps = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => ({ name: f, ex: JSON.parse(readFileSync(join(dir, f), 'utf8')) as Exchange }));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const CHOSEN_KEYS = new Set(['mac_address', 'ip_address', 'provider:segmentation_id']);
const RECORDED_BASE = 'http://127.0.0.1:9696';

class Replay {
  /** recorded value → cloudlet's value */
  map = new Map<string, string>();
  failures: string[] = [];

  constructor(private base: string) {}

  subst(s: string): string {
    let out = s.split(RECORDED_BASE).join(this.base);
    for (const [from, to] of this.map) {
      // only ids, addresses and MACs are substituted, and only whole: 10.0.0.2 is not part of 10.0.0.25
      if (/^\d+$/.test(from)) continue;
      const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      out = out.replace(new RegExp(`(?<![0-9a-fA-F.:-])${escaped}(?![0-9a-fA-F:-]|\\.\\d)`, 'g'), to);
    }
    return out;
  }

  substDeep(v: unknown): unknown {
    return JSON.parse(this.subst(JSON.stringify(v ?? null)));
  }

  private fail(path: string, msg: string): void {
    this.failures.push(`${path}: ${msg}`);
  }

  /** A value the server chooses: learn it once, then hold cloudlet to it. */
  private chosen(path: string, expected: unknown, actual: unknown, requested: string): void {
    const key = String(expected);
    if (typeof expected === "string" && requested.includes(JSON.stringify(expected))) {
      if (expected !== actual) this.fail(path, `requested ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
      return;
    }
    const known = this.map.get(key);
    if (known !== undefined) {
      if (String(actual) !== known) this.fail(path, `expected ${known} (recorded ${key}), got ${JSON.stringify(actual)}`);
    } else if (actual === null || actual === undefined || typeof actual !== typeof expected) {
      this.fail(path, `expected a value like ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    } else {
      this.map.set(key, String(actual));
    }
  }

  compare(path: string, expected: unknown, actual: unknown, requested: string, key = ''): void {
    if (key === 'created_at' || key === 'updated_at') {
      if (typeof actual !== 'string' || !TIME.test(actual)) this.fail(path, `not a timestamp: ${JSON.stringify(actual)}`);
      return;
    }
    if ((typeof expected === 'string' && UUID.test(expected)) || (CHOSEN_KEYS.has(key) && expected !== null)) {
      this.chosen(path, expected, actual, requested);
      return;
    }
    if (Array.isArray(expected)) {
      if (!Array.isArray(actual)) return this.fail(path, `expected a list, got ${JSON.stringify(actual)}`);
      const isResources = expected.every((e) => e && typeof e === 'object' && 'id' in (e as object));
      if (isResources && expected.length > 0) {
        // recorded items this replay did not create (pre-existing in Neutron's database) are not ours to compare
        const ours = expected.filter((e) => this.map.has((e as { id: string }).id));
        if (ours.length !== actual.length) this.fail(path, `expected ${ours.length} items, got ${actual.length}`);
        for (const e of ours) {
          const want = this.map.get((e as { id: string }).id);
          const a = actual.find((x) => (x as { id: string }).id === want);
          if (!a) this.fail(path, `missing item ${want}`);
          else this.compare(`${path}[${want}]`, e, a, requested);
        }
        return;
      }
      if (expected.length !== actual.length) return this.fail(path, `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
      expected.forEach((e, i) => this.compare(`${path}[${i}]`, e, actual[i], requested, key));
      return;
    }
    if (expected && typeof expected === 'object') {
      if (!actual || typeof actual !== 'object') return this.fail(path, `expected an object, got ${JSON.stringify(actual)}`);
      const ek = Object.keys(expected).sort();
      const ak = Object.keys(actual).sort();
      const missing = ek.filter((k) => !ak.includes(k));
      const extra = ak.filter((k) => !ek.includes(k));
      if (missing.length || extra.length) this.fail(path, `fields differ: missing ${missing.join(',') || '-'}; extra ${extra.join(',') || '-'}`);
      for (const k of ek) if (k in (actual as object)) this.compare(`${path}.${k}`, (expected as any)[k], (actual as any)[k], requested, k);
      return;
    }
    const want = typeof expected === 'string' ? this.subst(expected) : expected;
    if (want !== actual) this.fail(path, `expected ${JSON.stringify(want)}, got ${JSON.stringify(actual)}`);
  }
}

/** Neutron lists the ports of NetworkInUse in its own id order; compare them as a set. */
function normaliseMessage(msg: string): string {
  return msg.replace(/is: ([0-9a-f,-]+)\./, (_m, ids: string) => `is: ${ids.split(',').sort().join(',')}.`);
}

for (const backend of backends()) {
  test(`golden Neutron exchanges replay on ${backend.name}`, async () => {
    const net = await startNetwork(backend);
    const replay = new Replay(net.url);
    try {
      for (const { name, ex } of steps) {
        const path = replay.subst(ex.request.path);
        const body = ex.request.body === null ? undefined : replay.substDeep(ex.request.body);
        const res = await net.call(ex.request.method, path, body);
        const before = replay.failures.length;
        if (res.status !== ex.status) replay.failures.push(`status ${res.status}, expected ${ex.status}: ${JSON.stringify(res.body)}`);
        assert.match(res.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/, `${name}: X-Openstack-Request-Id`);
        const expected = ex.body as any;
        if (expected?.NeutronError) {
          const e = expected.NeutronError;
          const a = res.body?.NeutronError;
          if (!a) replay.failures.push(`no NeutronError in ${JSON.stringify(res.body)}`);
          else {
            if (a.type !== e.type) replay.failures.push(`type ${a.type}, expected ${e.type}`);
            if (normaliseMessage(a.message) !== normaliseMessage(replay.subst(e.message))) {
              replay.failures.push(`message ${JSON.stringify(a.message)}, expected ${JSON.stringify(replay.subst(e.message))}`);
            }
            if (a.detail !== e.detail) replay.failures.push(`detail ${JSON.stringify(a.detail)}, expected ${JSON.stringify(e.detail)}`);
          }
        } else if (expected !== null && expected !== undefined && expected !== '') {
          replay.compare('body', expected, res.body, JSON.stringify(body ?? null) + path);
        } else if (res.body !== null && res.body !== '') {
          replay.failures.push(`expected no body, got ${JSON.stringify(res.body)}`);
        }
        for (let i = before; i < replay.failures.length; i++) replay.failures[i] = `${name} ${ex.request.method} ${path}: ${replay.failures[i]}`;
      }
      assert.deepEqual(replay.failures, [], `differences from Neutron 21:\n${replay.failures.join('\n')}`);
    } finally {
      await net.close();
    }
  });
}
