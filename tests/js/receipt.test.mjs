// Ballot receipts (static/js/urna/receipt.js) against signed checkpoints.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { consistencyProof, inclusionProof, leaves, testLog } from './merkle_helpers.mjs';
import { hex } from '../../static/js/urna/bytes.js';
import { rootHash } from '../../static/js/urna/merkle.js';
import { parseTrackingCode, trackingCode, verifyReceipt } from '../../static/js/urna/receipt.js';
import {
  InvalidConsistencyProof, InvalidEncoding, InvalidInclusionProof, InvalidReceipt, InvalidSignature,
} from '../../static/js/urna/errors.js';

const ORIGIN = 'urna.example/log/2026-03-08-ch';
const LOG = testLog(ORIGIN);
const TREE = leaves(11);

function receipt(index, size) {
  const tree = TREE.slice(0, size);
  return {
    log: ORIGIN,
    index,
    leaf_hash: hex(TREE[index]),
    tracking_code: trackingCode(TREE[index]),
    checkpoint: LOG.checkpoint(size, rootHash(tree)),
    inclusion_proof: inclusionProof(tree, index).map(hex),
  };
}

test('tracking codes are base32 groups of the leaf hash (as crypto/receipt.py)', () => {
  const bytes = Uint8Array.from({ length: 32 }, (_, i) => i);
  const code = 'AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQT-CQKR-MFYY-DENB-WHA5-DYPQ';
  assert.equal(trackingCode(bytes), code);
  assert.deepEqual(parseTrackingCode(code.toLowerCase().replaceAll('-', ' ')), bytes);
  for (const leaf of TREE) assert.deepEqual(parseTrackingCode(trackingCode(leaf)), leaf);
  assert.throws(() => parseTrackingCode(code.slice(0, -1)), /52 base32 characters/);
  assert.throws(() => parseTrackingCode(code.replace('Q', '9')), /A-Z and digits 2-7/);
  assert.throws(() => parseTrackingCode(`${code.slice(0, -1)}R`), /last character/);
  // 0, 1 and 8 are not base32: typed for O, I and B they are read as those
  const typed = code.replaceAll('O', '0').replaceAll('I', '1').replaceAll('B', '8');
  assert.notEqual(typed, code);
  assert.deepEqual(parseTrackingCode(typed), bytes);
  assert.throws(() => trackingCode(new Uint8Array(31)), InvalidEncoding);
});

test('a receipt verifies against its own and against later checkpoints', () => {
  const r = receipt(3, 5);
  const same = verifyReceipt(r, r.checkpoint, LOG.verifierKey);
  assert.equal(same.size, 5n);
  const later = LOG.checkpoint(11, rootHash(TREE));
  const proof = consistencyProof(TREE, 5);
  assert.equal(verifyReceipt(r, later, LOG.verifierKey, { consistencyProof: proof }).size, 11n);
});

test('a receipt without a checkpoint needs an inclusion proof against the given one', () => {
  const r = { ...receipt(4, 6), checkpoint: null, inclusion_proof: [] };
  const later = LOG.checkpoint(11, rootHash(TREE));
  assert.throws(() => verifyReceipt(r, later, LOG.verifierKey), /an inclusion proof is needed/);
  verifyReceipt(r, later, LOG.verifierKey, { inclusionProof: inclusionProof(TREE, 4) });
});

test('a dropped, moved or forked ballot is caught', () => {
  const r = receipt(3, 5);
  assert.throws(() => verifyReceipt({ ...r, index: 2 }, r.checkpoint, LOG.verifierKey), InvalidInclusionProof);
  const otherLeaf = { ...r, leaf_hash: hex(TREE[4]), tracking_code: trackingCode(TREE[4]) };
  assert.throws(() => verifyReceipt(otherLeaf, r.checkpoint, LOG.verifierKey), /leads to root/);
  const fork = [...TREE.slice(0, 4), ...leaves(7, 'fork')];
  const forkedLater = LOG.checkpoint(11, rootHash(fork));
  assert.throws(() => verifyReceipt(r, forkedLater, LOG.verifierKey, { consistencyProof: consistencyProof(fork, 5) }),
    InvalidConsistencyProof);
  const older = LOG.checkpoint(4, rootHash(TREE.slice(0, 4)));
  assert.throws(() => verifyReceipt(r, older, LOG.verifierKey), /older than the receipt's/);
});

test('checkpoints must be signed by the log key given', () => {
  const r = receipt(3, 5);
  const impostor = testLog(ORIGIN, new Uint8Array(32).fill(9));
  assert.throws(() => verifyReceipt(r, r.checkpoint, impostor.verifierKey), InvalidSignature);
  const forgedOwn = { ...r, checkpoint: impostor.checkpoint(5, rootHash(TREE.slice(0, 5))) };
  assert.throws(() => verifyReceipt(forgedOwn, r.checkpoint, LOG.verifierKey), InvalidSignature);
});

test('malformed receipts are refused', () => {
  const r = receipt(3, 5);
  const cases = [
    [{ ...r, log: '' }, /'log'/],
    [{ ...r, index: -1 }, /'index'/],
    [{ ...r, index: 1.5 }, /'index'/],
    [{ ...r, leaf_hash: r.leaf_hash.toUpperCase() }, /'leaf_hash'/],
    [{ ...r, tracking_code: trackingCode(TREE[0]) }, /tracking code is not its leaf hash/],
    [{ ...r, checkpoint: 5 }, /'checkpoint'/],
    [{ ...r, inclusion_proof: 'x' }, /'inclusion_proof'/],
    [{ ...r, inclusion_proof: ['00'] }, /inclusion proof hash/],
    [[], /a JSON object/],
  ];
  for (const [bad, message] of cases) {
    assert.throws(() => verifyReceipt(bad, r.checkpoint, LOG.verifierKey), message);
    assert.throws(() => verifyReceipt(bad, r.checkpoint, LOG.verifierKey), InvalidReceipt);
  }
});
