/**
 * Exponential ElGamal over ristretto255 (RFC 9496), the election group
 * (docs/spec.md section 4): Enc(m; r) = (α, β) = (r·G, m·G + r·h).
 * Ciphertexts add component-wise. JSON: {"pad": hex(α), "data": hex(β)}.
 * @module
 */
import { InvalidEncoding } from './errors.js';
import { hasExactKeys } from './bytes.js';
import {
  IDENTITY,
  baseTimes,
  pointFromBytes,
  pointFromHex,
  pointToHex,
  randomScalar,
  smallMultiple,
  times,
} from './group.js';

/** @typedef {InstanceType<typeof import('./group.js').Point>} Point */
/** @typedef {{pad: Point, data: Point}} Ciphertext (α, β) */

/**
 * Enc(m; r) with a given nonce r (used by provers and Benaloh audits).
 * @param {number} m a small non-negative integer
 * @param {Point} h the election public key
 * @param {bigint} r the nonce
 * @returns {Ciphertext}
 */
export function encryptWithNonce(m, h, r) {
  if (!Number.isSafeInteger(m) || m < 0) throw new RangeError('only non-negative integers are encrypted');
  return { pad: baseTimes(r), data: smallMultiple(m).add(times(h, r)) };
}

/**
 * Encrypt m under h with a fresh random nonce.
 * @param {number} m
 * @param {Point} h
 * @param {import('./group.js').RandomBytes} rng
 * @returns {{ciphertext: Ciphertext, nonce: bigint}}
 */
export function encrypt(m, h, rng) {
  const nonce = randomScalar(rng);
  return { ciphertext: encryptWithNonce(m, h, nonce), nonce };
}

/**
 * The homomorphic sum; the empty sum is the trivial encryption of 0.
 * @param {Ciphertext[]} ciphertexts
 * @returns {Ciphertext}
 */
export function sumCiphertexts(ciphertexts) {
  let pad = IDENTITY;
  let data = IDENTITY;
  for (const ct of ciphertexts) {
    pad = pad.add(ct.pad);
    data = data.add(ct.data);
  }
  return { pad, data };
}

/** @param {Ciphertext} a @param {Ciphertext} b @returns {boolean} */
export function ciphertextsEqual(a, b) {
  return a.pad.equals(b.pad) && a.data.equals(b.data);
}

/** @param {Ciphertext} ct @returns {{pad: string, data: string}} */
export function ciphertextToJson(ct) {
  return { pad: pointToHex(ct.pad), data: pointToHex(ct.data) };
}

/**
 * Decode {"pad": hex, "data": hex} strictly (no other keys; both points checked).
 * @param {unknown} value
 * @returns {Ciphertext}
 */
export function ciphertextFromJson(value) {
  if (!hasExactKeys(value, ['pad', 'data'])) {
    throw new InvalidEncoding('a ciphertext is an object with exactly "pad" and "data"');
  }
  const obj = /** @type {{pad: unknown, data: unknown}} */ (value);
  return { pad: pointFromHex(obj.pad), data: pointFromHex(obj.data) };
}

/** @param {Ciphertext} ct @returns {Uint8Array} α ‖ β, 64 bytes */
export function ciphertextToBytes(ct) {
  const out = new Uint8Array(64);
  out.set(ct.pad.toBytes(), 0);
  out.set(ct.data.toBytes(), 32);
  return out;
}

/** @param {Uint8Array} bytes @returns {Ciphertext} */
export function ciphertextFromBytes(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 64) {
    throw new InvalidEncoding('a ciphertext is 64 bytes (two points)');
  }
  return { pad: pointFromBytes(bytes.slice(0, 32)), data: pointFromBytes(bytes.slice(32)) };
}
