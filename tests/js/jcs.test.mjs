// RFC 8785 canonical JSON for the values Urna signs (static/js/urna/jcs.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { canonicalJson, canonicalJsonText } from '../../static/js/urna/jcs.js';
import { InvalidEncoding } from '../../static/js/urna/errors.js';

test('members sort by UTF-16 code units and strings escape as RFC 8785 says', () => {
  const value = {
    '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh',
    1: 'One', '\u{1f600}': 'Emoji: Grinning Face', '\u0080': 'Control',
    '\u00f6': 'Latin Small Letter O With Diaeresis',
    s: '\u0000\u001f"\\/\u007f\u2028 é', n: [-0, 1, -9007199254740991, true, false, null, {}, []],
  };
  // The output of Python's rfc8785.dumps for the same value (crypto/encoding.py).
  const expected = JSON.parse(String.raw`"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"n\":[0,1,-9007199254740991,true,false,null,{},[]],\"s\":\"\\u0000\\u001f\\\"\\\\/\u007f\u2028 \u00e9\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"`);
  assert.equal(canonicalJsonText(value), expected);
  assert.deepEqual(canonicalJson({ b: 'é', a: 1 }), new TextEncoder().encode('{"a":1,"b":"é"}'));
});

test('floats, unsafe integers and non-JSON values are refused', () => {
  for (const bad of [1.5, { a: [0.1] }, 2 ** 53, NaN, Infinity, undefined, 10n, () => 1, new Date(0), new Map()]) {
    assert.throws(() => canonicalJson(bad), InvalidEncoding, String(bad));
  }
  assert.throws(() => canonicalJson({ x: 0.5 }), /floating-point/);
});

test('lone surrogates are refused', () => {
  assert.throws(() => canonicalJson('\ud800'), /lone surrogate/);
  assert.throws(() => canonicalJson({ '\udc00x': 1 }), /lone surrogate/);
  assert.equal(canonicalJsonText('\u{1f600}'), '"\u{1f600}"');
});
