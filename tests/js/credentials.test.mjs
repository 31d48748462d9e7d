// docs/spec.md section 7: voting codes and credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { vector } from './helpers.mjs';
import { hex } from '../../static/js/urna/bytes.js';
import { ALPHABET, deriveCredential, generateCode, normaliseCode } from '../../static/js/urna/credentials.js';
import { ed25519 } from '../../static/js/urna/ed25519.js';
import { InvalidEncoding } from '../../static/js/urna/errors.js';
import { secureRandom } from '../../static/js/urna/rng.js';

test('vector codes derive their public keys, however they are typed', () => {
  for (const c of vector('credentials').cases) {
    const spellings = [c.code, c.code.toLowerCase(), c.code.replaceAll('-', ' '), c.code.replaceAll('-', '')];
    for (const code of spellings) {
      assert.equal(hex(deriveCredential(code, c.vote_day).publicKey), c.public_key);
    }
  }
});

test('the credential signs with the derived key', () => {
  const c = vector('credentials').cases[0];
  const cred = deriveCredential(c.code, c.vote_day);
  const msg = new TextEncoder().encode('ballot');
  assert.ok(ed25519.verify(cred.sign(msg), msg, cred.publicKey));
  assert.notEqual(hex(deriveCredential(c.code, '2026-06-14-ch').publicKey), c.public_key);
});

test('every single wrong symbol and every neighbour swap is caught', () => {
  const code = normaliseCode(vector('credentials').cases[0].code);
  for (let i = 0; i < code.length; i++) {
    for (const ch of ALPHABET) {
      if (ch === code[i]) continue;
      const typo = code.slice(0, i) + ch + code.slice(i + 1);
      assert.throws(() => normaliseCode(typo), /typing error/);
    }
    if (i + 1 < code.length && code[i] !== code[i + 1]) {
      const swapped = code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2);
      assert.throws(() => normaliseCode(swapped), /typing error/);
    }
  }
});

test('wrong lengths and foreign characters are refused', () => {
  const code = vector('credentials').cases[0].code;
  assert.throws(() => normaliseCode(code.slice(0, -1)), /22 characters, got 21/);
  assert.throws(() => normaliseCode(`${code}A`), /22 characters, got 23/);
  assert.throws(() => normaliseCode(code.replace('7', '0')), /not on voting cards/);
  assert.throws(() => normaliseCode(42), InvalidEncoding);
});

test('fresh codes are well formed', () => {
  for (let i = 0; i < 20; i++) {
    const code = generateCode(secureRandom);
    assert.match(code, /^([A-Z2-9]{4}-){5}[A-Z2-9]{2}$/);
    assert.equal(normaliseCode(code), code.replaceAll('-', ''));
  }
});
