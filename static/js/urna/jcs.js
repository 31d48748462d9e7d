/**
 * Canonical JSON, RFC 8785 (JCS), for the values Urna signs and hashes:
 * objects, arrays, strings, integers, booleans and null (docs/spec.md 1).
 *
 * Signed objects contain no floating-point numbers, so non-integral numbers
 * are refused rather than canonicalised, as crypto/encoding.py does; so are
 * integers outside ±(2^53 − 1), which JSON cannot carry exactly, and strings
 * with lone surrogates, which have no UTF-8 encoding.
 * @module
 */
import { InvalidEncoding } from './errors.js';
import { typeName, utf8 } from './bytes.js';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The RFC 8785 text of a JSON value.
 * @param {unknown} value
 * @returns {string}
 */
export function canonicalJsonText(value) {
  if (value === null || value === true || value === false) return String(value);
  if (typeof value === 'number') return canonicalNumber(value);
  if (typeof value === 'string') return canonicalString(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJsonText).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    // RFC 8785 3.2.3: members sorted by the UTF-16 code units of their names,
    // which is what the default Array sort compares.
    const keys = Object.keys(value).sort();
    const obj = /** @type {Record<string, unknown>} */ (value);
    return `{${keys.map((k) => `${canonicalString(k)}:${canonicalJsonText(obj[k])}`).join(',')}}`;
  }
  throw new InvalidEncoding(`cannot canonicalise a value of type ${typeName(value)}`);
}

/**
 * The UTF-8 bytes of {@link canonicalJsonText}.
 * @param {unknown} value
 * @returns {Uint8Array}
 */
export function canonicalJson(value) {
  return utf8(canonicalJsonText(value));
}

/** @param {number} n @returns {string} */
function canonicalNumber(n) {
  if (!Number.isInteger(n)) {
    throw new InvalidEncoding('floating-point numbers are not allowed in signed objects');
  }
  if (!Number.isSafeInteger(n)) {
    throw new InvalidEncoding(`integer ${n} is outside the exactly representable range ±(2^53 - 1)`);
  }
  return JSON.stringify(n); // "-0" becomes "0", as RFC 8785 requires
}

/** @param {string} s @returns {string} */
function canonicalString(s) {
  if (LONE_SURROGATE.test(s)) throw new InvalidEncoding('a string contains a lone surrogate');
  // ECMAScript's JSON.stringify of a string is the serialisation RFC 8785 3.2.2.2 specifies.
  return JSON.stringify(s);
}
