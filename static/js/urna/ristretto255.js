/**
 * ristretto255 (RFC 9496) over the edwards25519 of ./ed25519.js: the
 * `_RistrettoPoint` of @noble/curves 2.4.0 `ed25519.js` (MIT License, (c)
 * 2022 Paul Miller), which is not vendored (static/vendor/README.md).
 * RFC 9496 Appendix A (tests/vectors/rfc9496.json) pins it in
 * tests/js/group.test.mjs, as it pins libsodium on the server.
 * @module
 */
import { PrimeEdwardsPoint } from '../../vendor/noble-curves-2.4.0/abstract/edwards.js';
import { bytesToNumberLE, equalBytes } from '../../vendor/noble-curves-2.4.0/utils.js';
import { Point as EdwardsPoint, SQRT_M1, uvRatio } from './ed25519.js';

const Fp = EdwardsPoint.Fp;
const { a: A, d: D } = EdwardsPoint.CURVE();
const ONE = 1n;

/** √(a·d − 1) */
const SQRT_AD_MINUS_ONE = 25063068953384623474111414158702152701244531502492656460079210482610430750235n;
/** 1 / √(a − d) */
const INVSQRT_A_MINUS_D = 54469307008909316920995813868745141605393597292927456921205312896311721017578n;
/** 1 − d² */
const ONE_MINUS_D_SQ = 1159843021668779879193775521855586647937357759715417654439879720876111806838n;
/** (d − 1)² */
const D_MINUS_ONE_SQ = 40440834346308536858101042469323190826248399146238708352240133220865137265952n;
const MAX_255B = (1n << 255n) - 1n;

/** SQRT_RATIO_M1(1, v) of RFC 9496 4.2. @param {bigint} v */
const invertSqrt = (v) => uvRatio(ONE, v);

/** The field element of 32 bytes with bit 255 masked (the MAP input of 4.3.4). */
const bytes255ToNumberLE = (/** @type {Uint8Array} */ bytes) => Fp.create(bytesToNumberLE(bytes) & MAX_255B);

/**
 * MAP of RFC 9496 4.3.4: a field element to an edwards25519 representative.
 * @param {bigint} r0
 */
function elligatorMap(r0) {
  const r = Fp.mul(Fp.mulN(SQRT_M1, r0), r0);
  const Ns = Fp.mul(Fp.addN(r, ONE), ONE_MINUS_D_SQ);
  let c = Fp.neg(ONE);
  const Dd = Fp.mul(Fp.subN(c, Fp.mulN(D, r)), Fp.add(r, D));
  let { isValid: square, value: s } = uvRatio(Ns, Dd);
  let sPrime = Fp.mul(s, r0);
  if (!Fp.isOdd(sPrime)) sPrime = Fp.neg(sPrime);
  if (!square) {
    s = sPrime;
    c = r;
  }
  const Nt = Fp.sub(Fp.mulN(Fp.mulN(c, Fp.subN(r, ONE)), D_MINUS_ONE_SQ), Dd);
  const s2 = Fp.sqrN(s);
  const W0 = Fp.mul(Fp.addN(s, s), Dd);
  const W1 = Fp.mul(Nt, SQRT_AD_MINUS_ONE);
  const W2 = Fp.sub(ONE, s2);
  const W3 = Fp.add(ONE, s2);
  return new EdwardsPoint(Fp.mul(W0, W3), Fp.mul(W2, W1), Fp.mul(W1, W3), Fp.mul(W0, W2));
}

/** A ristretto255 element: an edwards25519 representative of its coset. */
export class RistrettoPoint extends PrimeEdwardsPoint {
  /** @param {InstanceType<typeof EdwardsPoint>} ep */
  constructor(ep) {
    super(ep);
  }

  /** @param {unknown} other */
  assertSame(other) {
    if (!(other instanceof RistrettoPoint)) throw new TypeError('RistrettoPoint expected');
  }

  /** @param {InstanceType<typeof EdwardsPoint>} ep */
  init(ep) {
    return new RistrettoPoint(ep);
  }

  /** DECODE (RFC 9496 4.3.1); group.js turns its Error into InvalidEncoding. @param {Uint8Array} bytes */
  static fromBytes(bytes) {
    if (!(bytes instanceof Uint8Array) || bytes.length !== 32) throw new Error('32 bytes expected');
    const s = bytes255ToNumberLE(bytes);
    // canonical (s < p, bit 255 clear: the round trip gives the same bytes), non-negative
    if (!equalBytes(Fp.toBytes(s), bytes) || Fp.isOdd(s)) {
      throw new Error('not canonical or negative');
    }
    const s2 = Fp.sqr(s);
    const u1 = Fp.add(ONE, Fp.mulN(A, s2));
    const u2 = Fp.sub(ONE, Fp.mulN(A, s2));
    const u1sq = Fp.sqr(u1);
    const u2sq = Fp.sqr(u2);
    const v = Fp.sub(Fp.mulN(Fp.mulN(A, D), u1sq), u2sq);
    const { isValid, value: I } = invertSqrt(Fp.mul(v, u2sq));
    const Dx = Fp.mul(I, u2);
    const Dy = Fp.mul(Fp.mulN(I, Dx), v);
    let x = Fp.mul(Fp.addN(s, s), Dx);
    if (Fp.isOdd(x)) x = Fp.neg(x);
    const y = Fp.mul(u1, Dy);
    const t = Fp.mul(x, y);
    if (!isValid || Fp.isOdd(t) || Fp.is0(y)) throw new Error('not square, negative t, or y = 0');
    return new RistrettoPoint(new EdwardsPoint(x, y, Fp.ONE, t));
  }

  /** The one-way map (RFC 9496 4.3.4) on 64 bytes. @param {Uint8Array} bytes */
  static fromUniformBytes(bytes) {
    if (!(bytes instanceof Uint8Array) || bytes.length !== 64) throw new Error('64 bytes expected');
    const r1 = elligatorMap(bytes255ToNumberLE(bytes.subarray(0, 32)));
    const r2 = elligatorMap(bytes255ToNumberLE(bytes.subarray(32, 64)));
    return new RistrettoPoint(r1.add(r2));
  }

  /** ENCODE of RFC 9496 4.3.2. @returns {Uint8Array} */
  toBytes() {
    let { X, Y } = this.ep;
    const { Z, T } = this.ep;
    const u1 = Fp.mul(Fp.add(Z, Y), Fp.sub(Z, Y));
    const u2 = Fp.mul(X, Y);
    const { value: invsqrt } = invertSqrt(Fp.mul(u1, Fp.sqr(u2)));
    const D1 = Fp.mul(invsqrt, u1);
    const D2 = Fp.mul(invsqrt, u2);
    const zInv = Fp.mul(Fp.mulN(D1, D2), T);
    let Dr;
    if (Fp.isOdd(Fp.mul(T, zInv))) {
      const x = Fp.mul(Y, SQRT_M1);
      const y = Fp.mul(X, SQRT_M1);
      X = x;
      Y = y;
      Dr = Fp.mul(D1, INVSQRT_A_MINUS_D);
    } else {
      Dr = D2;
    }
    if (Fp.isOdd(Fp.mul(X, zInv))) Y = Fp.neg(Y);
    let s = Fp.mul(Fp.subN(Z, Y), Dr);
    if (Fp.isOdd(s)) s = Fp.neg(s);
    return Fp.toBytes(s);
  }

  /** EQUALS (RFC 9496 4.3.3). @param {RistrettoPoint} other */
  equals(other) {
    this.assertSame(other);
    const { X: X1, Y: Y1 } = this.ep;
    const { X: X2, Y: Y2 } = other.ep;
    return Fp.eql(Fp.mul(X1, Y2), Fp.mul(Y1, X2)) || Fp.eql(Fp.mul(Y1, Y2), Fp.mul(X1, X2));
  }

  is0() {
    return this.equals(RistrettoPoint.ZERO);
  }
}

/** The generator (RFC 9496 4.4): the coset of the Ed25519 base point. */
RistrettoPoint.BASE = new RistrettoPoint(EdwardsPoint.BASE);
/** The identity. */
RistrettoPoint.ZERO = new RistrettoPoint(EdwardsPoint.ZERO);
RistrettoPoint.Fp = Fp;
Object.freeze(RistrettoPoint.prototype);
Object.freeze(RistrettoPoint);
