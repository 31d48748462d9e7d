// docs/spec.md section 2: the ristretto255 group (RFC 9496 Appendix A), strict scalar and
// point decoding, and the group law.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { vector } from './helpers.mjs';
import { bigIntToBytesLE, bytesToBigIntLE, hex } from '../../static/js/urna/bytes.js';
import { sha512 } from '../../static/js/urna/ed25519.js';
import {
  G, L, P_FIELD, baseTimes, modL, pointFromBytes, pointFromHex, pointFromUniformBytes, pointToHex,
  randomScalar, scalarFromBytes, scalarFromHex, scalarToHex, smallMultiple, times, timesPublic,
} from '../../static/js/urna/group.js';
import { InvalidEncoding } from '../../static/js/urna/errors.js';
import { deterministicRng } from '../../static/js/urna/rng.js';

// The seven non-trivial torsion points of edwards25519 (as tests/crypto/torsion.py):
// an attacker used to edwards25519 tries them as group elements.
const TORSION_POINTS = {
  'order 2': 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'order 4 (x>0)': '0000000000000000000000000000000000000000000000000000000000000000',
  'order 4 (x<0)': '0000000000000000000000000000000000000000000000000000000000000080',
  'order 8 a+': '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'order 8 a-': '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'order 8 b+': 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'order 8 b-': 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
};
const IDENTITY_HEX = '00'.repeat(32);
const VALID = pointFromHex(vector('elgamal').public);
const RFC = vector('rfc9496');

test('RFC 9496 A.1: the encodings of k·G for k = 0..15', () => {
  const encodings = RFC.multiples_of_generator.encodings;
  assert.equal(encodings.length, 16);
  let total = baseTimes(0n);
  for (const [k, expected] of encodings.entries()) {
    assert.equal(pointToHex(baseTimes(BigInt(k))), expected, `${k}·G`);
    assert.equal(pointToHex(timesPublic(G, BigInt(k))), expected, `${k}·G`);
    assert.equal(pointToHex(total), expected, `G + … + G (${k})`);
    if (k > 0) assert.ok(pointFromHex(expected).equals(total));
    total = total.add(G);
  }
});

test('RFC 9496 A.2: every invalid encoding is refused', () => {
  assert.ok(RFC.invalid_encodings.cases.length >= 29);
  for (const { reason, encoding } of RFC.invalid_encodings.cases) {
    assert.throws(() => pointFromHex(encoding), /not a canonical ristretto255 encoding/, `${reason} ${encoding}`);
  }
});

test('RFC 9496 A.3: the one-way map on SHA-512 of the labels', () => {
  for (const { label, hash, element } of RFC.hash_to_group.cases) {
    const digest = sha512(new TextEncoder().encode(label));
    assert.equal(hex(digest), hash);
    assert.equal(pointToHex(pointFromUniformBytes(digest)), element, label);
  }
  assert.throws(() => pointFromUniformBytes(new Uint8Array(32)), /64 bytes/);
});

test('the identity is refused', () => {
  assert.throws(() => pointFromHex(IDENTITY_HEX), /identity/);
  assert.throws(() => pointFromHex(IDENTITY_HEX), InvalidEncoding);
});

test('bit 255 set is refused: no second encoding of any element', () => {
  for (const p of [VALID, G, baseTimes(12345n)]) {
    const alias = p.toBytes();
    alias[31] |= 0x80;
    assert.throws(() => pointFromBytes(alias), /not a canonical ristretto255 encoding/);
  }
});

test('non-canonical (s + p) and negative (p − s) encodings are refused', () => {
  for (const p of [VALID, G, baseTimes(987654321n)]) {
    const s = bytesToBigIntLE(p.toBytes());
    for (const bad of [s + P_FIELD, P_FIELD - s]) {
      if (bad < 2n ** 256n) {
        assert.throws(() => pointFromBytes(bigIntToBytesLE(bad, 32)), InvalidEncoding, hex(bigIntToBytesLE(bad, 32)));
      }
    }
  }
});

test('edwards25519 torsion encodings are refused or ordinary prime-order elements', () => {
  for (const [name, encoded] of Object.entries(TORSION_POINTS)) {
    let p;
    try {
      p = pointFromHex(encoded);
    } catch (err) {
      assert.ok(err instanceof InvalidEncoding, name);
      continue;
    }
    assert.ok(!p.is0(), name);
    assert.ok(!times(p, 8n).is0(), name);
    assert.ok(times(p, L - 1n).equals(p.negate()), name);
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
