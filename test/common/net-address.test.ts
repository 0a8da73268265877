import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  cidrContains,
  cidrsOverlap,
  eui64,
  formatCidr,
  formatIp,
  formatMac,
  isEui64Address,
  isMulticastMac,
  isValidMac,
  normalizeMac,
  parseCidr,
  parseIp,
  randomMac,
  sortKey,
} from '../../src/common/net-address.js';

const v6 = (s: string): bigint => {
  const ip = parseIp(s);
  assert.ok(ip && ip.version === 6, s);
  return ip.value;
};

describe('parseIp', () => {
  it('accepts canonical addresses', () => {
    assert.deepEqual(parseIp('10.0.0.1'), { version: 4, value: 0x0a000001n });
    assert.deepEqual(parseIp('0.0.0.0'), { version: 4, value: 0n });
    assert.deepEqual(parseIp('255.255.255.255'), { version: 4, value: 0xffffffffn });
    assert.deepEqual(parseIp('::'), { version: 6, value: 0n });
    assert.deepEqual(parseIp('2001:DB8::1'), { version: 6, value: 0x20010db8000000000000000000000001n });
    assert.deepEqual(parseIp('0001:0:0:0:0:0:0:0'), { version: 6, value: 1n << 112n });
    assert.deepEqual(parseIp('1:2:3:4:5:6:7::'), { version: 6, value: 0x0001000200030004000500060007_0000n });
  });

  it('reads an embedded dotted quad the way inet_pton does', () => {
    assert.equal(parseIp('::ffff:1.2.3.4')?.value, 0xffff01020304n);
    // IPv4-compatible, not mapped (ipaddr.js alone would say mapped).
    assert.equal(parseIp('::1.2.3.4')?.value, 0x01020304n);
    assert.equal(parseIp('64:ff9b::10.0.0.1')?.value, 0x0064ff9b00000000000000000a000001n);
  });

  const invalid = [
    '', ' 10.0.0.1', '10.0.0.1 ', '010.0.0.1', '10.0.0.01', '10.0.1', '10.1', '167772161', '0x0a.0.0.1',
    '10.0.0.256', '10.0.0.1.1', 'fe80::1%eth0', 'fe80::1%1', '1::2::3', ':1::', '1:::2', '12345::', 'g::',
    '1:2:3:4:5:6:7:8:9', '::ffff:01.2.3.4', '::ffff:1.2.3', '1.2.3.4::', '::1.2.3.4:5', '10.0.0.0/24',
  ];
  for (const s of invalid) {
    it(`refuses ${JSON.stringify(s)}`, () => assert.equal(parseIp(s), null));
  }
});

describe('formatIp', () => {
  // Expected strings produced by Python's socket.inet_ntop (glibc), which
  // is what netaddr, and so Neutron, prints.
  const table: Array<[bigint, string]> = [
    [0n, '::'],
    [1n, '::1'],
    [1n << 112n, '1::'],
    [0xffff01020304n, '::ffff:1.2.3.4'],
    [0x01020304n, '::1.2.3.4'],
    [0x10000n, '::0.1.0.0'],
    [0xffff00000000n, '::ffff:0.0.0.0'],
    [0x100n, '::100'],
    [0x0001_0000_0000_0001_0000_0000_0000_0001n, '1:0:0:1::1'],
    [0x0001_0000_0000_0000_0001_0000_0000_0001n, '1::1:0:0:1'],
    [0x0001_0000_0001_0000_0001_0000_0001_0000n, '1:0:1:0:1:0:1:0'],
    [0x2001_0db8_0000_0001_0001_0001_0001_0001n, '2001:db8:0:1:1:1:1:1'],
    [0xfffe00010002n, '::fffe:1:2'],
    [0x1ffff00010002n, '::1:ffff:1:2'],
    [(1n << 128n) - 1n, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ];
  for (const [value, text] of table) {
    it(`prints ${text}`, () => assert.equal(formatIp(6, value), text));
  }

  it('prints IPv4 dotted', () => {
    assert.equal(formatIp(4, 0x0a000001n), '10.0.0.1');
    assert.equal(formatIp(4, 0xffffffffn), '255.255.255.255');
  });

  it('round-trips through parseIp', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (v) => {
        assert.deepEqual(parseIp(formatIp(6, v)), { version: 6, value: v });
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffffffffn }), (v) => {
        assert.deepEqual(parseIp(formatIp(4, v)), { version: 4, value: v });
      }),
    );
  });
});

describe('parseCidr / formatCidr', () => {
  it('normalises host bits away', () => {
    const c = parseCidr('10.0.0.5/24');
    assert.deepEqual(c, { version: 4, network: 0x0a000000n, prefix: 24, size: 256n });
    assert.equal(formatCidr(c!), '10.0.0.0/24');
    assert.equal(formatCidr(parseCidr('2001:DB8:0:0::1/64')!), '2001:db8::/64');
  });

  it('handles the extremes', () => {
    assert.deepEqual(parseCidr('0.0.0.0/0'), { version: 4, network: 0n, prefix: 0, size: 1n << 32n });
    assert.deepEqual(parseCidr('10.0.0.7/32'), { version: 4, network: 0x0a000007n, prefix: 32, size: 1n });
    assert.equal(parseCidr('::/0')?.size, 1n << 128n);
    assert.equal(parseCidr('::1/128')?.network, 1n);
  });

  for (const s of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/024', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/24/1',
    '010.0.0.0/24', '10.0.0.0/255.255.255.0', '::/129', 'fe80::%eth0/64', '10.0.0.0/ 24']) {
    it(`refuses ${JSON.stringify(s)}`, () => assert.equal(parseCidr(s), null));
  }

  it('contains and overlaps', () => {
    const a = parseCidr('10.0.0.0/24')!;
    assert.ok(cidrContains(a, 0x0a000000n));
    assert.ok(cidrContains(a, parseIp('10.0.0.255')!));
    assert.ok(!cidrContains(a, parseIp('10.0.1.0')!));
    assert.ok(!cidrContains(parseCidr('::/96')!, parseIp('10.0.0.1')!), 'versions differ');
    assert.ok(cidrsOverlap(a, parseCidr('10.0.0.128/25')!));
    assert.ok(cidrsOverlap(parseCidr('10.0.0.0/8')!, a));
    assert.ok(!cidrsOverlap(a, parseCidr('10.0.1.0/24')!));
    assert.ok(!cidrsOverlap(parseCidr('0.0.0.0/0')!, parseCidr('::/0')!));
  });
});

describe('sortKey', () => {
  it('is 32 hex chars and orders like the numbers', () => {
    assert.equal(sortKey(4, 0x0a000001n), '0000000000000000000000000a000001');
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (a, b) => {
        const ka = sortKey(6, a);
        const kb = sortKey(6, b);
        assert.equal(ka.length, 32);
        assert.equal(ka < kb, a < b);
        assert.equal(ka === kb, a === b);
      }),
    );
  });
});

describe('MAC addresses', () => {
  it('accepts what netaddr accepts and normalises it', () => {
    const table: Array<[string, string]> = [
      ['fa:16:3e:00:00:03', 'fa:16:3e:00:00:03'],
      ['FA:16:3E:AB:CD:EF', 'fa:16:3e:ab:cd:ef'],
      ['FA-16-3E-AB-CD-EF', 'fa:16:3e:ab:cd:ef'],
      ['fa:16:3e:0:0:3', 'fa:16:3e:00:00:03'],
      ['fa16.3eab.cdef', 'fa:16:3e:ab:cd:ef'],
      ['fa16:3eab:cdef', 'fa:16:3e:ab:cd:ef'],
      ['fa163e-abcdef', 'fa:16:3e:ab:cd:ef'],
      ['fa163eabcdef', 'fa:16:3e:ab:cd:ef'],
    ];
    for (const [input, out] of table) {
      assert.ok(isValidMac(input), input);
      assert.equal(normalizeMac(input), out);
    }
  });

  it('refuses bad and reserved MACs', () => {
    for (const s of ['', 'fa:16:3e:00:00', 'fa:16:3e:00:00:00:00', 'fa:16:3e:00:00:0g', 'fa:16:3e:000:00:03',
      ' fa:16:3e:00:00:03', '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', 'FF-FF-FF-FF-FF-FF']) {
      assert.ok(!isValidMac(s), s);
    }
    assert.equal(normalizeMac('nope'), null);
    assert.equal(normalizeMac('00:00:00:00:00:00'), '00:00:00:00:00:00', 'normalising is not validating');
  });

  it('knows multicast', () => {
    assert.ok(isMulticastMac('01:00:5e:00:00:01'));
    assert.ok(!isMulticastMac('fa:16:3e:00:00:01'));
  });

  it('generates random MACs under the base', () => {
    for (let i = 0; i < 50; i++) {
      const mac = randomMac();
      assert.match(mac, /^fa:16:3e:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/);
      assert.ok(isValidMac(mac));
    }
    assert.match(randomMac('fa:16:3e:00:00:00'), /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.match(randomMac('fa:16:3e:4f:00:00'), /^fa:16:3e:4f(:[0-9a-f]{2}){2}$/);
    assert.match(randomMac('02:00:00:01'), /^02:00:00:01(:[0-9a-f]{2}){2}$/);
    assert.throws(() => randomMac('fa:16'), RangeError);
    assert.equal(formatMac(0xfa163e000003n), 'fa:16:3e:00:00:03');
  });
});

describe('eui64', () => {
  it('matches the oslo.utils vectors', () => {
    assert.equal(formatIp(6, eui64('2001:db8::/64', '00:01:02:03:04:05')), '2001:db8::201:2ff:fe03:405');
    assert.equal(formatIp(6, eui64(parseCidr('2001:db8:1:2::/64')!, 'fa:16:3e:12:34:56')),
      '2001:db8:1:2:f816:3eff:fe12:3456');
    // Host bits in the prefix are ignored, as the CIDR is normalised.
    assert.equal(eui64('2001:db8::99/64', '00:01:02:03:04:05'), v6('2001:db8::201:2ff:fe03:405'));
  });

  it('refuses IPv4, long prefixes and bad MACs', () => {
    assert.throws(() => eui64('10.0.0.0/24', '00:01:02:03:04:05'), RangeError);
    assert.throws(() => eui64('2001:db8::/80', '00:01:02:03:04:05'), RangeError);
    assert.throws(() => eui64('2001:db8::/64', 'xx'), RangeError);
  });

  it('recognises EUI-64 addresses like Neutron', () => {
    assert.ok(isEui64Address({ version: 6, value: v6('2001:db8::201:2ff:fe03:405') }));
    assert.ok(!isEui64Address({ version: 6, value: v6('2001:db8::5') }));
    assert.ok(!isEui64Address(parseIp('10.0.0.1')!));
  });
});
