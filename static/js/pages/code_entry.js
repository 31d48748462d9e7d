/**
 * Typing a voting code (the voting page and "no electronic ballot with my
 * card"): forgiving about case, spaces and dashes, and precise about what is
 * wrong, in the page's language. The code alphabet has none of 0, O, 1, I, L,
 * U, Z (crypto/credentials.py), so a typed look-alike is never a guess between
 * two symbols of the code: it is named as not on voting cards.
 * @module
 */
import { ALPHABET, CODE_SYMBOLS, deriveCredential } from '../urna/credentials.js';

/** The code as typed, without case, whitespace, dashes or dots. */
export function cleanCode(raw) {
  return raw.toUpperCase().replace(/[\s\-\u2010-\u2015.]/g, '');
}

/**
 * The credential of a typed code, or the message key (and values) naming its mistake.
 * @returns {{credential: any} | {problem: string, values: object}}
 */
export function readCode(raw, voteDay) {
  const code = cleanCode(raw);
  const wrong = [...code].find((ch) => !ALPHABET.includes(ch));
  if (wrong !== undefined) return { problem: 'code-character', values: { char: wrong } };
  if (code.length !== CODE_SYMBOLS + 1) return { problem: 'code-length', values: { count: code.length } };
  try {
    return { credential: deriveCredential(code, voteDay) };
  } catch {
    return { problem: 'code-typo', values: {} };
  }
}
