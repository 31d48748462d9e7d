/**
 * Byte helpers and the conventions of docs/spec.md section 1: lowercase hex
 * in JSON, lp(x) length prefixes, int8(n) big-endian integers.
 * @module
 */
import { InvalidEncoding } from './errors.js';

const HEX = /^[0-9a-f]*$/;
const encoder = new TextEncoder();

/**
 * Decode lowercase hex, optionally of an exact byte length.
 * @param {unknown} text
 * @param {number | undefined} size the exact number of bytes, if any
 * @param {string} [what] names the value in error messages
 * @param {new (message: string) => Error} [Err] the error class to throw
 * @returns {Uint8Array}
 */
export function unhex(text, size, what = 'value', Err = InvalidEncoding) {
  if (typeof text !== 'string') throw new Err(`${what} must be a hex string, got ${typeName(text)}`);
  if (size !== undefined && text.length !== 2 * size) {
    throw new Err(`${what} must be ${2 * size} hex digits, got ${text.length}`);
  }
  if (text !== text.toLowerCase()) throw new Err(`${what} hex must be lowercase`);
  if (text.length % 2 || !HEX.test(text)) throw new Err(`${what} is not hexadecimal`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** @param {Uint8Array} bytes @returns {string} lowercase hex */
export function hex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** @param {string} text @returns {Uint8Array} its UTF-8 encoding */
export function utf8(text) {
  return encoder.encode(text);
}

/** @param {...Uint8Array} parts @returns {Uint8Array} */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** @param {Uint8Array} a @param {Uint8Array} b @returns {boolean} */
export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * lp(x1) ‖ lp(x2) ‖ …: each part behind its 4-byte big-endian length.
 * @param {Uint8Array[]} parts
 * @returns {Uint8Array}
 */
export function lengthPrefixed(parts) {
  const pieces = [];
  for (const part of parts) {
    if (!(part instanceof Uint8Array)) throw new TypeError('lp() takes byte arrays');
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, part.length);
    pieces.push(len, part);
  }
  return concat(...pieces);
}

/**
 * int8(n): the 8-byte big-endian encoding of a non-negative integer.
 * @param {number | bigint} n
 * @returns {Uint8Array}
 */
export function int8(n) {
  const value = BigInt(n);
  if (value < 0n || value >= 1n << 64n) throw new RangeError(`int8 takes 0 <= n < 2^64, got ${n}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return out;
}

/** @param {Uint8Array} bytes @returns {bigint} the little-endian integer */
export function bytesToBigIntLE(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

/** @param {bigint} n @param {number} size @returns {Uint8Array} little-endian */
export function bigIntToBytesLE(n, size) {
  const out = new Uint8Array(size);
  let rest = n;
  for (let i = 0; i < size; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  if (rest !== 0n) throw new RangeError(`integer does not fit in ${size} bytes`);
  return out;
}

/** @param {unknown} value @returns {string} a short type name for messages */
export function typeName(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * A plain JSON object (not null, not an array) with exactly the given keys.
 * @param {unknown} value
 * @param {string[]} keys
 * @returns {boolean}
 */
export function hasExactKeys(value, keys) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(value, k));
}
