/**
 * The election group, ristretto255 (RFC 9496): docs/spec.md section 2.
 *
 * Scalars are bigints in [0, L), encoded as 32 bytes little-endian. Points
 * are ristretto255 elements (./ristretto255.js, after @noble/curves); those
 * that come from outside are decoded with {@link pointFromBytes}, which
 * refuses every encoding RFC 9496 refuses and the identity (2.2). Every
 * valid encoding is an element of the prime-order group: there is no
 * cofactor and no subgroup check. Ed25519 keys are edwards25519 points and
 * are checked by ed25519.js's checkPublicKey instead.
 * @module
 */
import { InvalidEncoding } from './errors.js';
import { RistrettoPoint as Point } from './ristretto255.js';
import { bigIntToBytesLE, bytesToBigIntLE, hex, typeName, unhex } from './bytes.js';

export { Point };

/** The group order (ℓ in RFC 9496, L in RFC 8032). */
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;
/** The field prime p = 2^255 − 19. */
export const P_FIELD = 2n ** 255n - 19n;
export const POINT_SIZE = 32;
export const SCALAR_SIZE = 32;

/** The generator G of RFC 9496 4.4 (e2f2ae0a…2d76). */
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
 * length other than 32, every encoding RFC 9496 4.3.1 refuses (s not below
 * p or with bit 255 set, s negative, a non-square, t negative or y = 0) and
 * the identity (32 zero bytes).
 * @param {Uint8Array} bytes
 * @returns {InstanceType<typeof Point>}
 */
export function pointFromBytes(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== POINT_SIZE) {
    throw new InvalidEncoding(`a point is ${POINT_SIZE} bytes, got ${describeLength(bytes)}`);
  }
  if (bytes.every((b) => b === 0)) {
    throw new InvalidEncoding('not a valid group element: the identity is refused');
  }
  try {
    return Point.fromBytes(bytes);
  } catch {
    throw new InvalidEncoding(
      'not a valid group element: not a canonical ristretto255 encoding (RFC 9496 4.3.1)',
    );
  }
}

/** The element of 64 uniform bytes (RFC 9496 4.3.4). @param {Uint8Array} bytes */
export function pointFromUniformBytes(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 64) {
    throw new InvalidEncoding(`the one-way map takes 64 bytes, got ${describeLength(bytes)}`);
  }
  return Point.fromUniformBytes(bytes);
}

/** @param {unknown} text 64 lowercase hex digits */
export function pointFromHex(text) {
  return pointFromBytes(unhex(text, POINT_SIZE, 'point'));
}

/** @param {InstanceType<typeof Point>} point @returns {Uint8Array} RFC 9496 encoding */
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
