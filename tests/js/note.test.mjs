// C2SP signed notes and checkpoints (static/js/urna/note.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { testLog } from './merkle_helpers.mjs';
import { hex } from '../../static/js/urna/bytes.js';
import { parseCheckpoint, parseVerifierKey, verifyCheckpoint, verifyNote } from '../../static/js/urna/note.js';
import { InvalidSignature, MalformedNote } from '../../static/js/urna/errors.js';

// The example of golang.org/x/mod/sumdb/note's documentation (as tests/crypto/test_note.py).
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT = 'If you think cryptography is the answer to your problem,\n'
  + "then you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgK`
  + 'vqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ORIGIN = 'urna.example/log/2026-03-08-ch';

test("Go's example note verifies; a changed text does not", () => {
  const key = parseVerifierKey(GO_VKEY);
  assert.equal(hex(key.keyId), 'c74f20a3');
  assert.equal(verifyNote(GO_NOTE, key).text, GO_TEXT);
  assert.equal(verifyNote(new TextEncoder().encode(GO_NOTE), key).text, GO_TEXT);
  assert.throws(() => verifyNote(GO_NOTE.replace('cryptography', 'cryptographY'), key), /invalid/);
});

test('verifier keys are parsed strictly', () => {
  assert.throws(() => parseVerifierKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'), /does not match/);
  assert.throws(() => parseVerifierKey('PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'), MalformedNote);
  assert.throws(() => parseVerifierKey('PeterNeumann+c74f20a3+Anpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'), /type 0x01/);
  assert.throws(() => parseVerifierKey('PeterNeumann+c74f20a3'), /the form/);
  assert.throws(() => parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T'), /base64/);
});

test('a signed checkpoint verifies and its fields are parsed', () => {
  const log = testLog(ORIGIN);
  const root = Uint8Array.from({ length: 32 }, (_, i) => i);
  const note = log.checkpoint(12, root, 'ext one\next two\n');
  const cp = verifyCheckpoint(note, log.verifierKey);
  assert.equal(cp.origin, ORIGIN);
  assert.equal(cp.size, 12n);
  assert.deepEqual(cp.rootHash, root);
  assert.deepEqual(cp.extensions, ['ext one', 'ext two']);
});

test('unknown signatures are ignored; a bad one by the log key rejects', () => {
  const log = testLog(ORIGIN);
  const note = log.checkpoint(7, new Uint8Array(32).fill(17));
  const text = note.slice(0, note.indexOf('\n\n') + 1);
  const witness = testLog('witness.example', new Uint8Array(32).fill(7));
  const sameNameOtherKey = testLog(ORIGIN, new Uint8Array(32).fill(8));
  const extended = note + witness.signText(text) + sameNameOtherKey.signText(text);
  assert.equal(verifyCheckpoint(extended, log.verifierKey).size, 7n);
  assert.throws(() => verifyCheckpoint(note, witness.verifierKey), /no signature by witness.example/);
  const forged = note + log.signText(text.replace('\n7\n', '\n8\n'));
  assert.throws(() => verifyCheckpoint(forged, log.verifierKey), /invalid/);
  const resized = note.replace('\n7\n', '\n8\n');
  assert.throws(() => verifyCheckpoint(resized, log.verifierKey), InvalidSignature);
});

test('the origin must be the key name', () => {
  const other = testLog('other.example/log');
  const note = other.checkpoint(1, new Uint8Array(32));
  const signedByOther = note.replace('other.example/log\n', `${ORIGIN}\n`);
  assert.throws(() => verifyCheckpoint(signedByOther, other.verifierKey), InvalidSignature);
});

test('malformed notes and checkpoints are refused', () => {
  const log = testLog(ORIGIN);
  const note = log.checkpoint(3, new Uint8Array(32));
  assert.throws(() => verifyCheckpoint(note.replace('\n\n', '\n'), log.verifierKey), /blank line/);
  assert.throws(() => verifyCheckpoint(note.replace('\u2014', '-'), log.verifierKey), /em dash/);
  assert.throws(() => verifyCheckpoint(`${note.slice(0, -1)}`, log.verifierKey), /ending in a newline/);
  assert.throws(() => verifyCheckpoint(note.replace('\n3\n', '\n3\x07\n'), log.verifierKey), /control/);
  assert.throws(() => parseCheckpoint(`${ORIGIN}\n03\nAAAA\n`), /canonical decimal/);
  assert.throws(() => parseCheckpoint(`${ORIGIN}\n18446744073709551616\n${'A'.repeat(43)}=\n`), /64 bits/);
  assert.throws(() => parseCheckpoint(`${ORIGIN}\n3\nAAAA\n`), /32 bytes/);
  assert.throws(() => parseCheckpoint(`${ORIGIN}\n3\n`), /origin, a size and a root/);
});
