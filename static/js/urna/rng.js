/**
 * Random sources: the browser's CSPRNG, and the deterministic stream of
 * docs/spec.md section 8 (crypto/testing.py) for test vectors only.
 * @module
 */
import { sha512 } from './ed25519.js';
import { concat, int8, utf8 } from './bytes.js';

/**
 * n bytes from crypto.getRandomValues (the operating system's CSPRNG).
 * @param {number} n
 * @returns {Uint8Array}
 */
export function secureRandom(n) {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('secureRandom takes n >= 0');
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

/**
 * A deterministic byte stream: block_i = SHA-512(seed ‖ int8(i)), i = 0, 1, …;
 * each request for n bytes takes the next n bytes of the stream. Never use
 * it for real ballots: it exists so that tests reproduce the vectors.
 * @param {Uint8Array | string} seed bytes, or text taken as UTF-8
 * @returns {(n: number) => Uint8Array}
 */
export function deterministicRng(seed) {
  const seedBytes = typeof seed === 'string' ? utf8(seed) : seed;
  let buffer = new Uint8Array(0);
  let counter = 0;
  return (n) => {
    while (buffer.length < n) {
      buffer = concat(buffer, sha512(concat(seedBytes, int8(counter))));
      counter += 1;
    }
    const out = buffer.slice(0, n);
    buffer = buffer.slice(n);
    return out;
  };
}
