// static/js/pages/code_entry.js: typing a voting code (docs/citizen.md, "Typing codes").
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { vector } from './helpers.mjs';
import { hex } from '../../static/js/urna/bytes.js';
import { ALPHABET } from '../../static/js/urna/credentials.js';
import { cleanCode, readCode } from '../../static/js/pages/code_entry.js';

test('the code alphabet has none of the look-alikes people type', () => {
  for (const ch of '0O1ILUZ') assert.ok(!ALPHABET.includes(ch), ch);
});

test('case, spaces, dashes and dots do not matter', () => {
  for (const c of vector('credentials').cases) {
    const spellings = [c.code.toLowerCase(), ` ${c.code.replaceAll('-', '.')} `, c.code.replaceAll('-', '\u2013')];
    for (const typed of spellings) {
      const read = readCode(typed, c.vote_day);
      assert.ok('credential' in read, typed);
      assert.equal(hex(read.credential.publicKey), c.public_key);
    }
  }
  assert.equal(cleanCode('abcd-efgh jkmn'), 'ABCDEFGHJKMN');
});

test('each mistake is named: a look-alike, the length, a typing error', () => {
  const c = vector('credentials').cases[0];
  const code = cleanCode(c.code);
  assert.deepEqual(readCode(`O${code.slice(1)}`, c.vote_day), { problem: 'code-character', values: { char: 'O' } });
  assert.deepEqual(readCode(code.slice(0, -1), c.vote_day), { problem: 'code-length', values: { count: 21 } });
  const swapped = code[1] + code[0] + code.slice(2);
  if (swapped !== code) assert.deepEqual(readCode(swapped, c.vote_day), { problem: 'code-typo', values: {} });
  const wrong = code.slice(0, -1) + (code.at(-1) === 'A' ? 'B' : 'A');
  assert.deepEqual(readCode(wrong, c.vote_day), { problem: 'code-typo', values: {} });
});
