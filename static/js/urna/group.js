/**
 * The prime-order subgroup of edwards25519: docs/spec.md section 2.
 *
 * Scalars are bigints in [0, L), encoded as 32 bytes little-endian. Points
 * are @noble/curves points; those that come from outside are decoded with
 * {@link pointFromBytes}, which refuses anything that is not the canonical
 * encoding of a non-identity element of the prime-order subgroup (2.2).
 * @module
 */
import { InvalidEncoding } from './errors.js';
import { Point } from './ed25519.js';
import { bigIntToBytesLE, bytesToBigIntLE, hex, typeName, unhex } from './bytes.js';

export { Point };

/** The group order (L in RFC 8032). */
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;
/** The field prime p = 2^255 − 19. */
export const P_FIELD = 2n ** 255n - 19n;
export const POINT_SIZE = 32;
export const SCALAR_SIZE = 32;

/** The standard base point G. */
export const G = Point.BASE;
/** The identity (never accepted from outside). */
export const IDENTITY = Point.ZERO;

/** @typedef {(n: number) => Uint8Array} RandomBytes a source of n random bytes */

/** @param {bigint} n @returns {bigint} n mod L in [0, L) */
export function modL(n) {
  const r = n % L;
  return r < 0n ? r + L : r;
}

/**
 * Decode a canonical scalar (32 bytes little-endian, below L).
 * @param {Uint8Array} bytes
 * @returns {bigint}
 */
export function scalarFromBytes(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SCALAR_SIZE) {
    throw new InvalidEncoding(`a scalar is ${SCALAR_SIZE} bytes, got ${describeLength(bytes)}`);
  }
  const n = bytesToBigIntLE(bytes);
  if (n >= L) throw new InvalidEncoding('scalar is not canonical: not below the group order L');
  return n;
}

/** @param {unknown} text 64 lowercase hex digits @returns {bigint} */
export function scalarFromHex(text) {
  return scalarFromBytes(unhex(text, SCALAR_SIZE, 'scalar'));
}

/** @param {bigint} s @returns {Uint8Array} */
export function scalarToBytes(s) {
  if (typeof s !== 'bigint' || s < 0n || s >= L) throw new RangeError('a scalar is a bigint in [0, L)');
  return bigIntToBytesLE(s, SCALAR_SIZE);
}

/** @param {bigint} s @returns {string} */
export function scalarToHex(s) {
  return hex(scalarToBytes(s));
}

/**
 * A uniformly random non-zero scalar: 64 bytes read little-endian, reduced
 * mod L, drawn again on zero (spec 2.1; the vectors depend on this).
 * @param {RandomBytes} rng
 * @returns {bigint}
 */
export function randomScalar(rng) {
  for (;;) {
    const bytes = rng(64);
    if (bytes.length !== 64) throw new Error(`the random source gave ${bytes.length} bytes, not 64`);
    const s = bytesToBigIntLE(bytes) % L;
    if (s !== 0n) return s;
  }
}

/**
 * Decode and validate a point received from outside (spec 2.2): refuse a
 * length other than 32, y >= p, an encoding off the curve, the identity and
 * every small-order point, and every point with a torsion component.
 * @param {Uint8Array} bytes
 * @returns {InstanceType<typeof Point>}
 */
export function pointFromBytes(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== POINT_SIZE) {
    throw new InvalidEncoding(`a point is ${POINT_SIZE} bytes, got ${describeLength(bytes)}`);
  }
  const y = bytesToBigIntLE(bytes) & ((1n << 255n) - 1n);
  if (y >= P_FIELD) {
    throw new InvalidEncoding('point encoding is not canonical: y is not below the field prime');
  }
  let point;
  try {
    point = Point.fromBytes(bytes, false);
  } catch {
    throw new InvalidEncoding('not a valid group element: the encoding is not on the curve');
  }
  if (point.isSmallOrder()) {
    throw new InvalidEncoding('not a valid group element: the identity or a point of small order');
  }
  if (!point.isTorsionFree()) {
    throw new InvalidEncoding('not a valid group element: outside the prime-order subgroup');
  }
  return point;
}

/** @param {unknown} text 64 lowercase hex digits */
export function pointFromHex(text) {
  return pointFromBytes(unhex(text, POINT_SIZE, 'point'));
}

/** @param {InstanceType<typeof Point>} point @returns {Uint8Array} RFC 8032 encoding */
export function pointToBytes(point) {
  return point.toBytes();
}

/** @param {InstanceType<typeof Point>} point @returns {string} */
export function pointToHex(point) {
  return hex(point.toBytes());
}

/**
 * s·G in constant time (for secret scalars); 0·G is the identity.
 * @param {bigint} s
 */
export function baseTimes(s) {
  return s === 0n ? IDENTITY : G.multiply(s);
}

/**
 * s·X in constant time (for secret scalars); 0·X and s·O are the identity.
 * @param {InstanceType<typeof Point>} point @param {bigint} s
 */
export function times(point, s) {
  return s === 0n || point.is0() ? IDENTITY : point.multiply(s);
}

/**
 * s·X in variable time, for public scalars only (verification).
 * @param {InstanceType<typeof Point>} point @param {bigint} s
 */
export function timesPublic(point, s) {
  return point.multiplyUnsafe(s);
}

/** @type {Map<number, InstanceType<typeof Point>>} */
const smallMultiples = new Map();

/**
 * m·G for a small non-negative integer m (cached).
 * @param {number} m
 */
export function smallMultiple(m) {
  if (!Number.isSafeInteger(m) || m < 0) throw new RangeError('smallMultiple takes an integer >= 0');
  let point = smallMultiples.get(m);
  if (point === undefined) {
    point = G.multiplyUnsafe(BigInt(m));
    if (smallMultiples.size < 256) smallMultiples.set(m, point);
  }
  return point;
}

/** @param {unknown} data @returns {string} */
function describeLength(data) {
  return data instanceof Uint8Array ? `${data.length} bytes` : typeName(data);
}
