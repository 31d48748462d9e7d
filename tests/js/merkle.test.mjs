// RFC 9162 Merkle proofs (static/js/urna/merkle.js) against the RFC 6962 known answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { vector } from './helpers.mjs';
import { consistencyProof, inclusionProof, leaves } from './merkle_helpers.mjs';
import { hex, unhex } from '../../static/js/urna/bytes.js';
import {
  EMPTY_ROOT, leafHash, rootHash, verifyConsistency, verifyInclusion,
} from '../../static/js/urna/merkle.js';
import { InvalidConsistencyProof, InvalidInclusionProof } from '../../static/js/urna/errors.js';

const V = vector('merkle_rfc6962');
const LEAVES = V.leaves_hex.map((h) => leafHash(unhex(h)));
const ROOTS = V.roots.map((h) => unhex(h));

test('RFC 6962 roots', () => {
  assert.equal(hex(EMPTY_ROOT), V.empty_root);
  for (let n = 1; n <= LEAVES.length; n++) assert.equal(hex(rootHash(LEAVES.slice(0, n))), V.roots[n - 1]);
});

test('RFC 6962 inclusion proofs verify, and are the reference proofs', () => {
  for (const c of V.inclusion) {
    const proof = c.proof.map((h) => unhex(h));
    verifyInclusion(LEAVES[c.index], c.index, c.size, proof, ROOTS[c.size - 1]);
    assert.deepEqual(inclusionProof(LEAVES.slice(0, c.size), c.index).map(hex), c.proof);
  }
});

test('RFC 6962 consistency proofs verify, and are the reference proofs', () => {
  for (const c of V.consistency) {
    const proof = c.proof.map((h) => unhex(h));
    verifyConsistency(c.old, c.new, proof, ROOTS[c.old - 1], ROOTS[c.new - 1]);
    assert.deepEqual(consistencyProof(LEAVES.slice(0, c.new), c.old).map(hex), c.proof);
  }
});

test('every inclusion proof of trees up to 33 leaves verifies; tampered ones do not', () => {
  const all = leaves(33);
  for (let size = 1; size <= all.length; size++) {
    const tree = all.slice(0, size);
    const root = rootHash(tree);
    for (let index = 0; index < size; index++) {
      const proof = inclusionProof(tree, index);
      verifyInclusion(tree[index], index, size, proof, root);
      if (size > 1) {
        assert.throws(() => verifyInclusion(tree[(index + 1) % size], index, size, proof, root), InvalidInclusionProof);
        const bad = proof.map((p, i) => (i === proof.length - 1 ? p.map((b, j) => (j ? b : b ^ 1)) : p));
        assert.throws(() => verifyInclusion(tree[index], index, size, bad, root), /leads to root/);
        assert.throws(() => verifyInclusion(tree[index], index, size, proof.slice(1), root), /must have/);
      }
    }
  }
});

test('every consistency proof up to 33 leaves verifies; forks do not', () => {
  const all = leaves(33);
  const forked = leaves(33, 'other');
  for (let n = 1; n <= all.length; n += 3) {
    for (let m = 0; m <= n; m++) {
      const proof = consistencyProof(all.slice(0, n), m);
      const oldRoot = rootHash(all.slice(0, m));
      const newRoot = rootHash(all.slice(0, n));
      verifyConsistency(m, n, proof, oldRoot, newRoot);
      if (m > 0) {
        const otherOld = rootHash(forked.slice(0, m));
        assert.throws(() => verifyConsistency(m, n, proof, otherOld, newRoot), InvalidConsistencyProof);
      }
    }
  }
});

test('bad arguments are refused with clear messages', () => {
  const root = ROOTS[7];
  assert.throws(() => verifyInclusion(LEAVES[0], 8, 8, [], root), /outside a tree of size 8/);
  assert.throws(() => verifyInclusion(LEAVES[0], -1, 8, [], root), /non-negative integer/);
  assert.throws(() => verifyInclusion(LEAVES[0], 0, 8, [new Uint8Array(31)], root), /proof hash 0 must be 32 bytes/);
  assert.throws(() => verifyConsistency(5, 4, [], root, root), /larger than new size/);
  assert.throws(() => verifyConsistency(8, 8, [], ROOTS[6], root), /a fork/);
  assert.throws(() => verifyConsistency(0, 8, [], root, root), /empty tree/);
  assert.throws(() => verifyConsistency(3, 8, [root], ROOTS[2], root), /must have/);
});
