// docs/spec.md section 8: the browser code reproduces every deterministic
// vector file of tests/vectors byte for byte, and verifies what they hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { BUILDERS, render } from './build_vectors.mjs';
import { clone, flipHex, vector, vectorText } from './helpers.mjs';
import { unhex } from '../../static/js/urna/bytes.js';
import { pointFromHex, scalarFromHex } from '../../static/js/urna/group.js';
import { ciphertextFromJson, encryptWithNonce, ciphertextToJson } from '../../static/js/urna/elgamal.js';
import {
  branchFromJson, rangeProofFromJson, verifyEqualLogs, verifyKnowledge, verifyRange,
} from '../../static/js/urna/proofs.js';
import { InvalidProof } from '../../static/js/urna/errors.js';

for (const name of Object.keys(BUILDERS)) {
  test(`${name}.json is reproduced byte for byte`, () => {
    assert.equal(render(BUILDERS[name]()), vectorText(name));
  });
}

test('elgamal vector ciphertexts re-encrypt from their nonces', () => {
  const v = vector('elgamal');
  const h = pointFromHex(v.public);
  for (const c of v.cases) {
    const ct = encryptWithNonce(c.m, h, scalarFromHex(c.nonce));
    assert.deepEqual(ciphertextToJson(ct), c.ciphertext);
    ciphertextFromJson(c.ciphertext); // both points pass the strict decoder
  }
});

function proofStatement() {
  const v = vector('proofs');
  return {
    v,
    context: v.context.map((c) => unhex(c)),
    publicKey: pointFromHex(v.public),
    base: pointFromHex(v.chaum_pedersen.base),
    result: pointFromHex(v.chaum_pedersen.result),
    ct: ciphertextFromJson(v.range.ciphertext),
  };
}

test('Schnorr vector verifies; tampered ones do not', () => {
  const { v, context, publicKey } = proofStatement();
  verifyKnowledge(branchFromJson(v.schnorr), publicKey, context);
  for (const key of ['c', 's']) {
    const bad = { ...v.schnorr, [key]: flipHex(v.schnorr[key], 2) };
    assert.throws(() => verifyKnowledge(branchFromJson(bad), publicKey, context), InvalidProof);
  }
  const otherContext = [context[0], new Uint8Array(32).fill(1)];
  assert.throws(() => verifyKnowledge(branchFromJson(v.schnorr), publicKey, otherContext), /challenge mismatch/);
});

test('Chaum-Pedersen vector verifies; tampered ones do not', () => {
  const { v, context, publicKey, base, result } = proofStatement();
  const proof = branchFromJson(v.chaum_pedersen.proof);
  verifyEqualLogs(proof, { base, publicKey, result, context });
  assert.throws(() => verifyEqualLogs(proof, { base, publicKey, result: base, context }), InvalidProof);
  const bad = branchFromJson({ ...v.chaum_pedersen.proof, s: flipHex(v.chaum_pedersen.proof.s, 0) });
  assert.throws(() => verifyEqualLogs(bad, { base, publicKey, result, context }), InvalidProof);
});

test('range vector verifies; tampered branches, ranges and ciphertexts do not', () => {
  const { v, context, publicKey, ct } = proofStatement();
  const proof = rangeProofFromJson(v.range.proof);
  verifyRange(proof, ct, { publicKey, lo: 1, hi: 3, context });
  for (let i = 0; i < proof.length; i++) {
    for (const key of ['c', 's']) {
      const json = clone(v.range.proof);
      json[i][key] = flipHex(json[i][key], 5);
      assert.throws(() => verifyRange(rangeProofFromJson(json), ct, { publicKey, lo: 1, hi: 3, context }),
        /range proof for \[1, 3\] does not verify/);
    }
  }
  assert.throws(() => verifyRange(proof, ct, { publicKey, lo: 0, hi: 2, context }), InvalidProof);
  assert.throws(() => verifyRange(proof, ct, { publicKey, lo: 1, hi: 2, context }), /needs 2 branches, got 3/);
  const swapped = { pad: ct.data, data: ct.pad };
  assert.throws(() => verifyRange(proof, swapped, { publicKey, lo: 1, hi: 3, context }), InvalidProof);
});
