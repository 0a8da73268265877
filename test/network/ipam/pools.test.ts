import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkGatewayOutOfPools,
  defaultGateway,
  defaultGatewayFirstHost,
  defaultPools,
  IpamError,
  isGatewayInvalidInSubnet,
  parsePools,
  validatePools,
} from '../../../src/network/ipam/pools.js';

const pool = (start: string, end: string) => ({ start, end });

describe('defaultGateway', () => {
  it('is network + 1 for IPv4 and the network address for IPv6', () => {
    assert.equal(defaultGateway('10.0.0.0/24'), '10.0.0.1');
    assert.equal(defaultGateway('10.0.0.77/24'), '10.0.0.1');
    assert.equal(defaultGateway('2001:db8::/64'), '2001:db8::');
    assert.equal(defaultGatewayFirstHost('2001:db8::/64'), '2001:db8::1');
  });
});

describe('defaultPools (neutron/tests/unit/ipam/test_utils.py cases)', () => {
  const table: Array<[string, string | null, Array<[string, string]>]> = [
    ['192.168.0.0/24', null, [['192.168.0.1', '192.168.0.254']]],
    ['192.168.0.0/24', '192.168.0.1', [['192.168.0.2', '192.168.0.254']]],
    ['192.168.0.0/24', '192.168.0.254', [['192.168.0.1', '192.168.0.253']]],
    ['192.168.0.0/24', '192.168.0.128', [['192.168.0.1', '192.168.0.127'], ['192.168.0.129', '192.168.0.254']]],
    ['192.168.0.0/32', null, [['192.168.0.0', '192.168.0.0']]],
    ['192.168.0.0/32', '192.168.0.0', [['192.168.0.0', '192.168.0.0']]],
    ['192.168.0.0/31', null, [['192.168.0.0', '192.168.0.1']]],
    ['192.168.0.0/31', '192.168.0.0', [['192.168.0.1', '192.168.0.1']]],
    ['192.168.0.0/30', '192.168.0.1', [['192.168.0.2', '192.168.0.2']]],
    ['192.168.0.0/24', '10.0.0.1', [['192.168.0.1', '192.168.0.254']]],
    ['192.168.0.0/24', '192.168.0.255', [['192.168.0.1', '192.168.0.254']]],
    ['F111::0/64', null, [['f111::1', 'f111::ffff:ffff:ffff:ffff']]],
    ['::/64', null, [['::1', '::ffff:ffff:ffff:ffff']]],
    ['2001:db8::/64', '2001:db8::', [['2001:db8::1', '2001:db8::ffff:ffff:ffff:ffff']]],
    ['2001:db8::/64', '2001:db8::1', [['2001:db8::2', '2001:db8::ffff:ffff:ffff:ffff']]],
    ['2001:db8::/127', null, [['2001:db8::1', '2001:db8::1']]],
    ['2001:db8::/127', '2001:db8::1', []],
    ['2001:db8::5/128', null, [['2001:db8::5', '2001:db8::5']]],
  ];
  for (const [cidr, gw, expected] of table) {
    it(`${cidr} gateway ${gw}`, () => {
      assert.deepEqual(defaultPools(cidr, gw), expected.map(([s, e]) => pool(s, e)));
    });
  }
});

function expectError(fn: () => unknown, type: string, status: number, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof IpamError);
    assert.ok(err instanceof Error);
    assert.deepEqual({ type: err.type, status: err.status, message: err.message }, { type, status, message });
    return true;
  });
}

describe('validatePools: Neutron errors', () => {
  const cases: Array<{ name: string; cidr: string; gw: string | null; pools: Array<{ start: string; end: string }>; type: string; status: number; message: string }> = [
    {
      name: 'start after end',
      cidr: '10.0.0.0/24', gw: null, pools: [pool('10.0.0.50', '10.0.0.2')],
      type: 'InvalidAllocationPool', status: 400,
      message: "The allocation pool {'start': '10.0.0.50', 'end': '10.0.0.2'} is not valid.",
    },
    {
      name: 'mixed versions in one pool',
      cidr: '10.0.0.0/24', gw: null, pools: [pool('10.0.0.2', '::5')],
      type: 'InvalidAllocationPool', status: 400,
      message: "The allocation pool {'start': '10.0.0.2', 'end': '::5'} is not valid.",
    },
    {
      name: 'IPv6 pool on an IPv4 subnet',
      cidr: '10.0.0.0/24', gw: null, pools: [pool('2001:DB8::2', '2001:db8::9')],
      type: 'InvalidAllocationPool', status: 400,
      message: 'The allocation pool 2001:db8::2-2001:db8::9 is not valid.',
    },
    {
      name: 'pool past the broadcast address',
      cidr: '10.0.0.0/24', gw: null, pools: [pool('10.0.0.2', '10.0.0.255')],
      type: 'OutOfBoundsAllocationPool', status: 400,
      message: 'The allocation pool 10.0.0.2-10.0.0.255 spans beyond the subnet cidr 10.0.0.0/24.',
    },
    {
      name: 'pool on the network address, cidr printed normalised',
      cidr: '10.0.0.5/24', gw: null, pools: [pool('10.0.0.0', '10.0.0.10')],
      type: 'OutOfBoundsAllocationPool', status: 400,
      message: 'The allocation pool 10.0.0.0-10.0.0.10 spans beyond the subnet cidr 10.0.0.0/24.',
    },
    {
      name: 'IPv6 pool on the subnet-router anycast address',
      cidr: '2001:db8::/64', gw: null, pools: [pool('2001:db8::', '2001:db8::10')],
      type: 'OutOfBoundsAllocationPool', status: 400,
      message: 'The allocation pool 2001:db8::-2001:db8::10 spans beyond the subnet cidr 2001:db8::/64.',
    },
    {
      name: 'overlap, reported in request order',
      cidr: '10.0.0.0/24', gw: null,
      pools: [pool('10.0.0.100', '10.0.0.150'), pool('10.0.0.2', '10.0.0.50'), pool('10.0.0.40', '10.0.0.60')],
      type: 'OverlappingAllocationPools', status: 409,
      message: 'Found overlapping allocation pools: 10.0.0.2-10.0.0.50 10.0.0.40-10.0.0.60 for subnet 10.0.0.0/24.',
    },
    {
      name: 'gateway inside a pool',
      cidr: '10.0.0.0/24', gw: '10.0.0.1', pools: [pool('10.0.0.1', '10.0.0.50')],
      type: 'GatewayConflictWithAllocationPools', status: 409,
      message: 'Gateway ip 10.0.0.1 conflicts with allocation pool 10.0.0.1-10.0.0.50.',
    },
    {
      name: 'IPv6 gateway inside a pool, printed canonically',
      cidr: '2001:db8::/64', gw: '2001:DB8:0::10', pools: [pool('2001:db8::2', '2001:db8::ff')],
      type: 'GatewayConflictWithAllocationPools', status: 409,
      message: 'Gateway ip 2001:db8::10 conflicts with allocation pool 2001:db8::2-2001:db8::ff.',
    },
    {
      name: 'bounds are checked before overlaps',
      cidr: '10.0.0.0/24', gw: null, pools: [pool('10.0.0.2', '10.0.0.50'), pool('10.0.0.2', '10.0.1.1')],
      type: 'OutOfBoundsAllocationPool', status: 400,
      message: 'The allocation pool 10.0.0.2-10.0.1.1 spans beyond the subnet cidr 10.0.0.0/24.',
    },
    {
      name: 'a bad pool anywhere fails before bounds',
      cidr: '10.0.0.0/24', gw: null, pools: [pool('10.0.0.2', '10.0.9.50'), pool('10.0.0.9', '10.0.0.3')],
      type: 'InvalidAllocationPool', status: 400,
      message: "The allocation pool {'start': '10.0.0.9', 'end': '10.0.0.3'} is not valid.",
    },
  ];
  for (const c of cases) {
    it(c.name, () => expectError(() => validatePools(c.cidr, c.gw, c.pools), c.type, c.status, c.message));
  }
});

describe('validatePools: accepted pools', () => {
  it('returns the parsed pools in request order', () => {
    const got = validatePools('10.0.0.0/24', '10.0.0.1', [pool('10.0.0.100', '10.0.0.254'), pool('10.0.0.2', '10.0.0.50')]);
    assert.deepEqual(got, [
      { version: 4, first: 0x0a000064n, last: 0x0a0000fen, text: '10.0.0.100-10.0.0.254' },
      { version: 4, first: 0x0a000002n, last: 0x0a000032n, text: '10.0.0.2-10.0.0.50' },
    ]);
  });

  it('allows the whole of a /31 and /32, and the last IPv6 address', () => {
    assert.equal(validatePools('10.0.0.0/31', null, [pool('10.0.0.0', '10.0.0.1')]).length, 1);
    assert.equal(validatePools('10.0.0.4/32', null, [pool('10.0.0.4', '10.0.0.4')]).length, 1);
    assert.equal(validatePools('2001:db8::/64', '2001:db8::', [pool('2001:db8::1', '2001:db8::ffff:ffff:ffff:ffff')]).length, 1);
  });

  it('allows a gateway outside the pools and the subnet, and no pools at all', () => {
    assert.equal(validatePools('10.0.0.0/24', '10.0.0.254', [pool('10.0.0.2', '10.0.0.50')]).length, 1);
    assert.equal(validatePools('10.0.0.0/24', '192.168.1.1', [pool('10.0.0.2', '10.0.0.50')]).length, 1);
    assert.deepEqual(validatePools('10.0.0.0/24', null, []), []);
  });

  it('agrees with defaultPools', () => {
    for (const [cidr, gw] of [['10.0.0.0/24', '10.0.0.1'], ['10.0.0.0/24', '10.0.0.9'], ['10.0.0.0/31', null], ['2001:db8::/64', '2001:db8::']] as const) {
      assert.doesNotThrow(() => validatePools(cidr, gw, defaultPools(cidr, gw)));
    }
  });
});

describe('gateway helpers', () => {
  it('checkGatewayOutOfPools on stored pools', () => {
    const stored = parsePools([pool('10.0.0.2', '10.0.0.254')]);
    assert.doesNotThrow(() => checkGatewayOutOfPools('10.0.0.1', stored));
    expectError(() => checkGatewayOutOfPools('10.0.0.9', stored), 'GatewayConflictWithAllocationPools', 409,
      'Gateway ip 10.0.0.9 conflicts with allocation pool 10.0.0.2-10.0.0.254.');
  });

  it('isGatewayInvalidInSubnet: IPv4 network and last address only', () => {
    assert.ok(isGatewayInvalidInSubnet('10.0.0.0/8', '10.0.0.0'));
    assert.ok(isGatewayInvalidInSubnet('10.0.0.0/8', '10.255.255.255'));
    assert.ok(!isGatewayInvalidInSubnet('10.0.0.0/8', '10.0.0.1'));
    assert.ok(!isGatewayInvalidInSubnet('10.0.0.0/8', '192.168.100.10'));
    assert.ok(isGatewayInvalidInSubnet('10.0.0.0/31', '10.0.0.1'));
    assert.ok(!isGatewayInvalidInSubnet('2001:db8::/64', '2001:db8::'));
  });
});
