// Shared helpers for the node tests of static/js/urna.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Parse tests/vectors/<name>.json. */
export function vector(name) {
  return JSON.parse(readFileSync(new URL(`../vectors/${name}.json`, import.meta.url), 'utf8'));
}

/** The text of tests/vectors/<name>.json. */
export function vectorText(name) {
  return readFileSync(new URL(`../vectors/${name}.json`, import.meta.url), 'utf8');
}

/** A deep copy of a JSON value. */
export function clone(value) {
  return JSON.parse(JSON.stringify(value));
}

/** Flip one hex digit of a hex string at position i (keeps it lowercase hex). */
export function flipHex(text, i = 0) {
  const digit = parseInt(text[i], 16) ^ 1;
  return text.slice(0, i) + digit.toString(16) + text.slice(i + 1);
}
