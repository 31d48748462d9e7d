// static/js/urna/returncodes.js against tests/vectors/returncodes*.json: the
// device's values byte for byte (returncodes_device.json is rebuilt in
// vectors.test.mjs), Python's partial codes and confirmation verify here, and
// tampered ones do not.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { flipHex, vector } from './helpers.mjs';
import { deterministicRng } from '../../static/js/urna/rng.js';
import { hex, unhex } from '../../static/js/urna/bytes.js';
import { pointFromHex, pointToHex, scalarToHex } from '../../static/js/urna/group.js';
import { InvalidEncoding, InvalidProof, ProofRefused } from '../../static/js/urna/errors.js';
import {
  bckPoint, bckProblem, choiceLabels, dammCheckDigit, confirmationPoint, deriveVoterSecret, normaliseBck, optionPoint,
  provePartialCode, returnCodeQuestions, statusMessage, verifyConfirmation, verifyPartialCode, voterPublic,
} from '../../static/js/urna/returncodes.js';

function context(v) {
  return {
    voteDay: v.election.vote_day,
    manifestHash: unhex(v.election.manifest_hash, 32),
    publicKey: pointFromHex(v.election.public_key),
  };
}

test('x_c, X_c, option points and P_bck match returncodes.json (made by Python)', () => {
  const v = vector('returncodes');
  const day = v.election.vote_day;
  const x = deriveVoterSecret(v.card.code, day);
  assert.equal(scalarToHex(x), v.voter.secret);
  assert.equal(pointToHex(voterPublic(x)), v.voter.voter_key);
  // the code as a citizen may type it: lower case, spaces instead of dashes
  assert.equal(scalarToHex(deriveVoterSecret(v.card.code.toLowerCase().replaceAll('-', ' '), day)), v.voter.secret);
  for (const q of returnCodeQuestions(v.questions)) {
    assert.deepEqual(choiceLabels(q), Object.keys(v.points[q.id]));
    for (const [label, point] of Object.entries(v.points[q.id])) {
      assert.equal(pointToHex(optionPoint(day, q.id, label)), point);
    }
  }
  assert.equal(pointToHex(bckPoint(day, v.card.bck)), v.bck_point);
  const pbck = pointFromHex(v.confirm.request.pbck);
  assert.equal(pointToHex(confirmationPoint(day, unhex(v.card.credential, 32), pbck)), v.confirm.confirmation_point);
});

test("Python's partial codes verify; tampered or swapped ones do not", () => {
  const v = vector('returncodes');
  const election = context(v);
  const ballot = v.cast.request.ballot;
  const voterKey = pointFromHex(v.voter.voter_key);
  const coded = returnCodeQuestions(v.questions);
  assert.equal(v.cast.request.partial_codes.length, coded.length);
  coded.forEach((q, i) => verifyPartialCode(v.cast.request.partial_codes[i], ballot, q, election, voterKey));
  const code = v.cast.request.partial_codes[0];
  const badC = { ...code, proof: code.proof.map((b, i) => (i === 0 ? { ...b, c: flipHex(b.c, 1) } : b)) };
  assert.throws(() => verifyPartialCode(badC, ballot, coded[0], election, voterKey), InvalidProof);
  const otherPcc = { ...code, pcc: v.points['federal-1']['0'] };
  assert.throws(() => verifyPartialCode(otherPcc, ballot, coded[0], election, voterKey), InvalidProof);
  const swapped = v.cast.request.partial_codes[1];
  assert.throws(() => verifyPartialCode(swapped, ballot, coded[0], election, voterKey), InvalidProof);
  const stranger = pointFromHex(v.authorities[0].verification_key);
  assert.throws(() => verifyPartialCode(code, ballot, coded[0], election, stranger), InvalidProof);
});

test("the prover section of returncodes.json is reproduced byte for byte", () => {
  const v = vector('returncodes');
  const election = context(v);
  const x = deriveVoterSecret(v.card.code, v.election.vote_day);
  const rng = deterministicRng(v.prover.seed);
  const made = returnCodeQuestions(v.questions)
    .map((q) => provePartialCode(v.cast.request.ballot, v.cast.secrets, q, election, x, rng));
  assert.equal(JSON.stringify(made), JSON.stringify(v.prover.partial_codes));
});

test("Python's confirmation verifies; for another pBCK or voter it does not", () => {
  const v = vector('returncodes');
  const day = v.election.vote_day;
  const cred = unhex(v.card.credential, 32);
  const voterKey = pointFromHex(v.voter.voter_key);
  const request = { pbck: v.confirm.request.pbck, proof: v.confirm.request.proof };
  verifyConfirmation(request, day, cred, voterKey);
  const otherPbck = { ...request, pbck: v.bck_point };
  assert.throws(() => verifyConfirmation(otherPbck, day, cred, voterKey), InvalidProof);
  assert.throws(() => verifyConfirmation(request, day, cred, pointFromHex(v.authorities[0].verification_key)), InvalidProof);
});

test('device vectors: the partial codes verify and open to the chosen option', () => {
  const v = vector('returncodes_device');
  const election = context(v);
  const x = deriveVoterSecret(v.code, v.election.vote_day);
  const voterKey = voterPublic(x);
  const coded = returnCodeQuestions(v.questions);
  coded.forEach((q, i) => {
    const code = v.partial_codes[i];
    verifyPartialCode(code, v.ballot, q, election, voterKey);
    const sel = v.selections[q.id];
    const label = sel.includes(1) ? String(sel.indexOf(1)) : 'blank';
    assert.equal(code.pcc, pointToHex(pointFromHex(v.points[q.id][label]).multiply(x)));
  });
  verifyConfirmation(v.confirm, v.election.vote_day, unhex(v.credential, 32), voterKey);
});

test('a proof for a choice the secrets do not describe is refused', () => {
  const v = vector('returncodes_device');
  const election = context(v);
  const x = deriveVoterSecret(v.code, v.election.vote_day);
  const q = v.questions[1]; // federal-2: one answer required, no blank
  const secrets = { ...v.secrets, selections: { ...v.secrets.selections, [q.id]: [0, 0, 0] } };
  assert.throws(() => provePartialCode(v.ballot, secrets, q, election, x), ProofRefused);
  assert.throws(() => choiceLabels(v.questions[2]), ProofRefused); // two selections allowed
  // lying about the choice makes a proof that does not verify
  const lie = { ...v.secrets, selections: { ...v.secrets.selections, [q.id]: [1, 0, 0] } };
  const forged = provePartialCode(v.ballot, lie, q, election, x);
  assert.throws(() => verifyPartialCode(forged, v.ballot, q, election, voterPublic(x)), InvalidProof);
});

test('the ballot casting key is entered forgivingly', () => {
  assert.equal(normaliseBck('3743 1694-6'), '374316946');
  assert.equal(normaliseBck(' 374–316–946 '), '374316946');
  for (const bad of ['', '37a316946', '12', '374316947', '374361946']) {
    assert.throws(() => normaliseBck(bad), InvalidEncoding);
  }
  assert.equal(bckProblem('3743-1694'), 'length');
  assert.equal(bckProblem('374316947'), 'check');
  assert.equal(bckProblem('374 316 946'), null);
  for (const { digits, check } of vector('returncodes').damm) assert.equal(dammCheckDigit(digits), check);
});

test('the status request signs the bytes Python verifies (crypto/returncode_status.py)', () => {
  // status_message("2026-06-14-ch", bytes(range(32))).hex(), from Python
  const expected = '0000001175726e612f76312f72632d7374617475730000006c7b2263726564656e7469616c223a2230303031'
    + '3032303330343035303630373038303930613062306330643065306631303131313231333134313531363137'
    + '31383139316131623163316431653166222c22766f74655f646179223a22323032362d30362d31342d636822'
    + '7d';
  const credential = Uint8Array.from({ length: 32 }, (_, i) => i);
  assert.equal(hex(statusMessage('2026-06-14-ch', credential)), expected);
  assert.notEqual(hex(statusMessage('2026-06-15-ch', credential)), expected);
});
