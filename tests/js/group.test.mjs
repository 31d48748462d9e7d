// docs/spec.md section 2: strict scalar and point decoding, and the group law.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { vector } from './helpers.mjs';
import { bigIntToBytesLE, hex, unhex } from '../../static/js/urna/bytes.js';
import {
  G, L, P_FIELD, Point, baseTimes, modL, pointFromBytes, pointFromHex, pointToHex, randomScalar,
  scalarFromBytes, scalarFromHex, scalarToHex, smallMultiple, times, timesPublic,
} from '../../static/js/urna/group.js';
import { InvalidEncoding } from '../../static/js/urna/errors.js';
import { deterministicRng } from '../../static/js/urna/rng.js';

// The seven non-trivial torsion points of edwards25519 (as tests/crypto/torsion.py).
const TORSION_POINTS = {
  'order 2': 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'order 4 (x>0)': '0000000000000000000000000000000000000000000000000000000000000000',
  'order 4 (x<0)': '0000000000000000000000000000000000000000000000000000000000000080',
  'order 8 a+': '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'order 8 a-': '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'order 8 b+': 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'order 8 b-': 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
};
const IDENTITY_HEX = `01${'00'.repeat(31)}`;
const VALID = pointFromHex(vector('elgamal').public);

test('every valid point plus each of the seven torsion points is refused', () => {
  for (const [name, encoded] of Object.entries(TORSION_POINTS)) {
    const torsion = Point.fromBytes(unhex(encoded), false);
    assert.ok(torsion.isSmallOrder(), name);
    for (const p of [VALID, G, baseTimes(12345n)]) {
      const dirty = p.add(torsion).toBytes();
      assert.throws(() => pointFromBytes(dirty), /outside the prime-order subgroup/, name);
    }
  }
});

test('the identity and every small-order point are refused', () => {
  for (const encoded of [IDENTITY_HEX, ...Object.values(TORSION_POINTS)]) {
    assert.throws(() => pointFromHex(encoded), /small order/, encoded);
  }
});

test('non-canonical encodings (y >= p) are refused before decoding', () => {
  for (const y of [P_FIELD, P_FIELD + 1n, P_FIELD + 2n, 2n ** 255n - 1n]) {
    for (const sign of [0n, 1n << 255n]) {
      const bytes = bigIntToBytesLE(y | sign, 32);
      assert.throws(() => pointFromBytes(bytes), /not canonical/, hex(bytes));
    }
  }
});

test('encodings that are not on the curve are refused', () => {
  let refused = 0;
  for (let y = 2n; refused < 5; y++) {
    const bytes = bigIntToBytesLE(y, 32);
    let onCurve = true;
    try {
      Point.fromBytes(bytes, false);
    } catch {
      onCurve = false;
    }
    if (!onCurve) {
      assert.throws(() => pointFromBytes(bytes), /not on the curve/);
      refused += 1;
    }
  }
});

test('lengths, types and hex are checked', () => {
  assert.throws(() => pointFromBytes(new Uint8Array(31)), /32 bytes, got 31 bytes/);
  assert.throws(() => pointFromBytes('ab'), /got string/);
  assert.throws(() => pointFromHex(pointToHex(VALID).toUpperCase()), /lowercase/);
  assert.throws(() => pointFromHex(`${pointToHex(G).slice(2)}zz`), /not hexadecimal/);
  assert.throws(() => pointFromHex(pointToHex(G).slice(2)), /64 hex digits, got 62/);
});

test('scalars are canonical: 32 bytes below L', () => {
  assert.equal(scalarFromBytes(bigIntToBytesLE(L - 1n, 32)), L - 1n);
  assert.throws(() => scalarFromBytes(bigIntToBytesLE(L, 32)), /not canonical/);
  assert.throws(() => scalarFromHex('ff'.repeat(32)), /not canonical/);
  assert.throws(() => scalarFromBytes(new Uint8Array(33)), /32 bytes, got 33/);
  assert.equal(scalarToHex(modL(-1n)), scalarToHex(L - 1n));
});

test('the group law and the vector base multiples agree', () => {
  for (const { scalar, point } of vector('group').base_multiples) {
    const s = scalarFromHex(scalar);
    assert.equal(pointToHex(baseTimes(s)), point);
    assert.equal(pointToHex(timesPublic(G, s)), point);
    assert.equal(pointToHex(pointFromHex(point)), point);
  }
  const rng = deterministicRng('group law');
  const [a, b] = [randomScalar(rng), randomScalar(rng)];
  assert.ok(baseTimes(modL(a + b)).equals(baseTimes(a).add(baseTimes(b))));
  assert.ok(times(baseTimes(a), b).equals(times(baseTimes(b), a)));
  assert.ok(smallMultiple(3).equals(G.add(G).add(G)));
  assert.equal(pointToHex(baseTimes(0n)), IDENTITY_HEX);
  assert.equal(pointToHex(times(VALID, 0n)), IDENTITY_HEX);
});

test('invalid points are InvalidEncoding errors', () => {
  assert.throws(() => pointFromHex(IDENTITY_HEX), InvalidEncoding);
});
