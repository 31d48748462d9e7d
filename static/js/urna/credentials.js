/**
 * Voting codes and their Ed25519 credentials: docs/spec.md section 7.
 *
 * A code is 21 symbols of a 29-symbol alphabet (102 bits) and a check
 * symbol, in groups of four. The credential's Ed25519 seed is
 *   SHA-512(lp("urna/v1/credential") ‖ lp(vote_day) ‖ lp(normalised code))[:32];
 * the public key is what the server knows; the code never leaves the device.
 * @module
 */
import { InvalidEncoding } from './errors.js';
import { ed25519, sha512 } from './ed25519.js';
import { lengthPrefixed, utf8 } from './bytes.js';

export const ALPHABET = 'ABCDEFGHJKMNPQRSTVWXY23456789';
export const CODE_SYMBOLS = 21;
export const CREDENTIAL_TAG = 'urna/v1/credential';
const GROUP = 4;

/**
 * @typedef {object} Credential
 * @property {Uint8Array} publicKey the public credential (Ed25519 public key)
 * @property {(message: Uint8Array) => Uint8Array} sign Ed25519 signature by the credential
 */

/**
 * A fresh voting code: each symbol from one random byte b, rejected if
 * b >= 232, else ALPHABET[b mod 29]; then the check symbol; groups of four.
 * @param {(n: number) => Uint8Array} rng
 * @returns {string}
 */
export function generateCode(rng) {
  let body = '';
  while (body.length < CODE_SYMBOLS) {
    const byte = rng(1)[0];
    if (byte < 232) body += ALPHABET[byte % 29];
  }
  const code = body + checkSymbol(body);
  return code.match(/.{1,4}/g).join('-');
}

/**
 * Upper-case the code, drop dashes and spaces, and check length, alphabet
 * and check symbol.
 * @param {unknown} text
 * @returns {string} the 22 symbols
 */
export function normaliseCode(text) {
  if (typeof text !== 'string') throw new InvalidEncoding('a voting code is a string');
  const cleaned = text.toUpperCase().replaceAll('-', '').replaceAll(' ', '');
  if ([...cleaned].length !== CODE_SYMBOLS + 1) {
    throw new InvalidEncoding(`a voting code has ${CODE_SYMBOLS + 1} characters, got ${[...cleaned].length}`);
  }
  if ([...cleaned].some((ch) => !ALPHABET.includes(ch))) {
    throw new InvalidEncoding('the voting code contains a character that is not on voting cards');
  }
  if (checkSymbol(cleaned.slice(0, -1)) !== cleaned.slice(-1)) {
    throw new InvalidEncoding('the voting code has a typing error (its check character is wrong)');
  }
  return cleaned;
}

/**
 * Derive the credential of a voting code for a vote day.
 * @param {string} code as typed or read from the QR link
 * @param {string} voteDay the vote-day id
 * @returns {Credential}
 */
export function deriveCredential(code, voteDay) {
  const normal = normaliseCode(code);
  const seed = sha512(lengthPrefixed([utf8(CREDENTIAL_TAG), utf8(voteDay), utf8(normal)])).slice(0, 32);
  const publicKey = ed25519.getPublicKey(seed);
  return Object.freeze({ publicKey, sign: (message) => ed25519.sign(message, seed) });
}

/**
 * ALPHABET[(Σ_{i=1..21} i · index(symbol_i)) mod 29]: catches every single
 * wrong symbol and every swap of two different neighbours.
 * @param {string} body
 * @returns {string}
 */
function checkSymbol(body) {
  let total = 0;
  for (let i = 0; i < body.length; i++) total += (i + 1) * ALPHABET.indexOf(body[i]);
  return ALPHABET[total % 29];
}
