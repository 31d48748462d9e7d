/**
 * edwards25519 (RFC 8032) built from the vendored @noble/curves abstract
 * modules, and Ed25519 signatures over it.
 *
 * The curve constants, uvRatio and adjustScalarBytes are those of
 * @noble/curves 2.4.0 `ed25519.js` (MIT License, (c) 2022 Paul Miller), which
 * is not vendored itself because its module graph also loads FROST, OPRF,
 * hash-to-curve and X25519 (about 70 KB the ballot does not need). The RFC
 * 8032 known answers in tests/js/ed25519.test.mjs pin this construction.
 *
 * Signatures are checked by {@link isValidSignature} exactly as libsodium's
 * crypto_sign_verify_detached (which the Python code uses) checks them, so
 * that the server and every verifier accept the same ballots and notes.
 * @module
 */
import { eddsa, edwards } from '../../vendor/noble-curves-2.4.0/abstract/edwards.js';
import { isNegativeLE, mod, pow2 } from '../../vendor/noble-curves-2.4.0/abstract/modular.js';
import { sha256, sha512 } from '../../vendor/noble-hashes-2.4.0/sha2.js';
import { InvalidEncoding } from './errors.js';
import { bytesToNumberLE, concatBytes, equalBytes } from '../../vendor/noble-curves-2.4.0/utils.js';

export { sha256, sha512 };

const P = 2n ** 255n - 19n;

const CURVE = {
  p: P,
  n: 2n ** 252n + 27742317777372353535851937790883648493n,
  h: 8n,
  a: P - 1n,
  d: 0x52036cee2b6ffe738cc740797779e89800700a4d4141d8ab75eb4dca135978a3n,
  Gx: 0x216936d3cd6e53fec0a4e231fdd6dc5c692cc7609525a7b2c9562d608f25d51an,
  Gy: 0x6666666666666666666666666666666666666666666666666666666666666658n,
};

/** √(−1) = 2^((p−1)/4) mod p */
export const SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752n;

/** x^((p−5)/8) mod p by an addition chain. @param {bigint} x @returns {bigint} */
function powP58(x) {
  const x2 = (x * x) % P;
  const b2 = (x2 * x) % P;
  const b4 = (pow2(b2, 2n, P) * b2) % P;
  const b5 = (pow2(b4, 1n, P) * x) % P;
  const b10 = (pow2(b5, 5n, P) * b5) % P;
  const b20 = (pow2(b10, 10n, P) * b10) % P;
  const b40 = (pow2(b20, 20n, P) * b20) % P;
  const b80 = (pow2(b40, 40n, P) * b40) % P;
  const b160 = (pow2(b80, 80n, P) * b80) % P;
  const b240 = (pow2(b160, 80n, P) * b80) % P;
  const b250 = (pow2(b240, 10n, P) * b10) % P;
  return (pow2(b250, 2n, P) * x) % P;
}

/**
 * √(u/v) for point decompression (RFC 8032 5.1.3), as noble's ed25519.js; also
 * SQRT_RATIO_M1 of RFC 9496 4.2 (static/js/urna/ristretto255.js).
 * @param {bigint} u @param {bigint} v
 * @returns {{isValid: boolean, value: bigint}}
 */
export function uvRatio(u, v) {
  const v3 = mod(v * v * v, P);
  const v7 = mod(v3 * v3 * v, P);
  let x = mod(u * v3 * powP58(u * v7), P);
  const vx2 = mod(v * x * x, P);
  const root1 = x;
  const root2 = mod(x * SQRT_M1, P);
  const useRoot1 = vx2 === u;
  const useRoot2 = vx2 === mod(-u, P);
  const noRoot = vx2 === mod(-u * SQRT_M1, P);
  if (useRoot1) x = root1;
  if (useRoot2 || noRoot) x = root2;
  if (isNegativeLE(x, P)) x = mod(-x, P);
  return { isValid: useRoot1 || useRoot2, value: x };
}

/** RFC 8032 5.1.5 clamping. @param {Uint8Array} bytes @returns {Uint8Array} */
function adjustScalarBytes(bytes) {
  bytes[0] &= 248;
  bytes[31] &= 127;
  bytes[31] |= 64;
  return bytes;
}

/** The edwards25519 point class (extended coordinates). */
export const Point = edwards(CURVE, { uvRatio });

/** Ed25519 (RFC 8032, pure, no context) with strict verification. */
export const ed25519 = eddsa(Point, sha512, { adjustScalarBytes, zip215: false });

/**
 * Ed25519 verification with libsodium's rules (crypto_sign_verify_detached,
 * as in PyNaCl): s < L; R not of small order; A canonical (y < p), on the
 * curve and not of small order; then the cofactorless equation: the encoding
 * of s·B − k·A, k = SHA-512(R ‖ A ‖ M) mod L, must equal R byte for byte.
 * noble's own verify uses the cofactored equation, which accepts some
 * signatures with a torsion component that libsodium refuses.
 * @param {Uint8Array} signature 64 bytes R ‖ s
 * @param {Uint8Array} message
 * @param {Uint8Array} publicKey 32 bytes A
 * @returns {boolean}
 */
export function isValidSignature(signature, message, publicKey) {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  const rBytes = signature.subarray(0, 32);
  const s = bytesToNumberLE(signature.subarray(32));
  if (s >= CURVE.n) return false;
  let a;
  try {
    a = Point.fromBytes(publicKey, false); // refuses y >= p and points off the curve
  } catch {
    return false;
  }
  if (a.isSmallOrder() || hasSmallOrderEncoding(rBytes)) return false;
  const k = bytesToNumberLE(sha512(concatBytes(rBytes, publicKey, message))) % CURVE.n;
  const check = Point.BASE.multiplyUnsafe(s).subtract(a.multiplyUnsafe(k));
  return equalBytes(check.toBytes(), rBytes);
}

/**
 * An Ed25519 key as crypto/ed25519.py checks it: y < p, on the curve, no torsion.
 * @param {Uint8Array} bytes @param {string} [what] @returns {Uint8Array}
 */
export function checkPublicKey(bytes, what = 'an Ed25519 public key') {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw new InvalidEncoding(`${what} is 32 bytes`);
  }
  const y = bytesToNumberLE(bytes) & ((1n << 255n) - 1n);
  if (y >= P) throw new InvalidEncoding(`${what} is not canonical: y is not below the field prime`);
  let point;
  try {
    point = Point.fromBytes(bytes, false);
  } catch {
    throw new InvalidEncoding(`${what} is not a valid point: off the curve`);
  }
  if (point.isSmallOrder() || !point.isTorsionFree()) {
    throw new InvalidEncoding(`${what} is not a valid point: of small order or outside the subgroup`);
  }
  return bytes;
}

/** @param {Uint8Array} bytes @returns {boolean} a decodable point of small order */
function hasSmallOrderEncoding(bytes) {
  try {
    return Point.fromBytes(bytes, true).isSmallOrder();
  } catch {
    return false; // not a point at all: the final comparison fails anyway
  }
}
