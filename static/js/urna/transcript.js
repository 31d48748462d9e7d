/**
 * Domain-separated hashing, the Fiat–Shamir transcript of docs/spec.md
 * section 3: hash_to_scalar(tag, parts) = SHA-512(lp(tag) ‖ lp(part_1) ‖ …
 * ‖ lp(part_n)) read little-endian, mod L. Every tag starts with "urna/v1/".
 * @module
 */
import { sha512 } from './ed25519.js';
import { bytesToBigIntLE, lengthPrefixed, utf8 } from './bytes.js';
import { L } from './group.js';

export const TAG_PREFIX = 'urna/v1/';

/**
 * SHA-512 of the length-prefixed tag and parts (64 bytes).
 * @param {string} tag a domain tag starting with "urna/v1/"
 * @param {Uint8Array[]} parts
 * @returns {Uint8Array}
 */
export function hashParts(tag, parts) {
  if (typeof tag !== 'string' || !tag.startsWith(TAG_PREFIX)) {
    throw new Error(`domain tag must start with ${JSON.stringify(TAG_PREFIX)}`);
  }
  return sha512(lengthPrefixed([utf8(tag), ...parts]));
}

/**
 * The Fiat–Shamir challenge: {@link hashParts} reduced modulo L.
 * @param {string} tag
 * @param {Uint8Array[]} parts
 * @returns {bigint}
 */
export function hashToScalar(tag, parts) {
  return bytesToBigIntLE(hashParts(tag, parts)) % L;
}
