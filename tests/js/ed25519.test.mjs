// The Ed25519 built from the vendored noble modules (static/js/urna/ed25519.js)
// is RFC 8032's: its known answers (section 7.1, tests 1-3).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { bigIntToBytesLE, bytesToBigIntLE, hex, unhex } from '../../static/js/urna/bytes.js';
import { Point, ed25519, isValidSignature, sha256, sha512 } from '../../static/js/urna/ed25519.js';

const RFC8032 = [
  ['9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '',
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'],
  ['4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72',
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'],
  ['c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', 'af82',
    '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a'],
];

test('RFC 8032 test vectors: keys, signatures, verification', () => {
  for (const [seed, pub, msg, sig] of RFC8032) {
    assert.equal(hex(ed25519.getPublicKey(unhex(seed))), pub);
    assert.equal(hex(ed25519.sign(unhex(msg), unhex(seed))), sig);
    assert.ok(ed25519.verify(unhex(sig), unhex(msg), unhex(pub)));
    assert.ok(!ed25519.verify(unhex(sig), Uint8Array.of(1, 2, 3), unhex(pub)));
  }
});

test('verification is strict: non-canonical s and small-order keys fail', () => {
  const [seed, pub, msg, sig] = RFC8032[1];
  const s = BigInt(`0x${sig.slice(64).match(/../g).reverse().join('')}`);
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const sPlusL = (s + L).toString(16).padStart(64, '0').match(/../g).reverse().join('');
  assert.ok(!ed25519.verify(unhex(sig.slice(0, 64) + sPlusL), unhex(msg), unhex(pub)));
  const identity = `01${'00'.repeat(31)}`;
  assert.ok(!ed25519.verify(unhex(`${identity}${'00'.repeat(32)}`), unhex(msg), unhex(identity)));
  assert.ok(seed);
});

test('SHA-256 and SHA-512 known answers ("abc")', () => {
  const abc = new TextEncoder().encode('abc');
  assert.equal(hex(sha256(abc)), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(hex(sha512(abc)).slice(0, 32), 'ddaf35a193617abacc417349ae204131');
});

// A signature whose R carries an order-8 component, made with the secret
// scalar: s·B − k·A = r·B ≠ R. The cofactored equation (noble's verify)
// accepts it; libsodium (the Python side) and isValidSignature refuse it.
function torsionSignature(seedHex, message) {
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const seed = unhex(seedHex);
  const h = sha512(seed);
  const head = h.slice(0, 32);
  head[0] &= 248; head[31] &= 127; head[31] |= 64;
  const a = bytesToBigIntLE(head) % L;
  const publicKey = ed25519.getPublicKey(seed);
  const torsion = Point.fromBytes(unhex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'), false);
  const r = 123456789n;
  const R = Point.BASE.multiply(r).add(torsion).toBytes();
  const k = bytesToBigIntLE(sha512(new Uint8Array([...R, ...publicKey, ...message]))) % L;
  const s = (r + k * a) % L;
  return { signature: new Uint8Array([...R, ...bigIntToBytesLE(s, 32)]), publicKey };
}

test('isValidSignature follows libsodium: cofactorless, no small-order R or A, canonical s', () => {
  for (const [, pub, msg, sig] of RFC8032) assert.ok(isValidSignature(unhex(sig), unhex(msg), unhex(pub)));
  const [seed, pub, msg, sig] = RFC8032[2];
  assert.ok(!isValidSignature(unhex(sig), unhex('af83'), unhex(pub)));
  assert.ok(!isValidSignature(unhex(sig).slice(1), unhex(msg), unhex(pub)));
  const flipped = unhex(sig);
  flipped[40] ^= 1;
  assert.ok(!isValidSignature(flipped, unhex(msg), unhex(pub)));
  const crafted = torsionSignature(seed, unhex(msg));
  assert.ok(ed25519.verify(crafted.signature, unhex(msg), crafted.publicKey), 'cofactored accepts');
  assert.ok(!isValidSignature(crafted.signature, unhex(msg), crafted.publicKey), 'cofactorless refuses');
  const identity = unhex(`01${'00'.repeat(31)}`);
  assert.ok(!isValidSignature(new Uint8Array([...identity, ...new Uint8Array(32)]), unhex(msg), identity));
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const s = bytesToBigIntLE(unhex(sig).slice(32));
  assert.ok(!isValidSignature(new Uint8Array([...unhex(sig).slice(0, 32), ...bigIntToBytesLE(s + L, 32)]), unhex(msg), unhex(pub)));
});

