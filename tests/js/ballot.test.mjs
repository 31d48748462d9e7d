// docs/spec.md section 6: ballots verify, tampered or copied ones do not.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { clone, flipHex, vector } from './helpers.mjs';
import { hex } from '../../static/js/urna/bytes.js';
import { encryptBallot, parseElection, signBallot, signedMessage, verifyAudit, verifyBallot } from '../../static/js/urna/ballot.js';
import { deriveCredential } from '../../static/js/urna/credentials.js';
import { deterministicRng } from '../../static/js/urna/rng.js';
import { InvalidProof, InvalidSignature, MalformedBallot, ProofRefused } from '../../static/js/urna/errors.js';

const V = vector('ballot');
const ELECTION = parseElection(V.election);
const QUESTIONS = V.questions;
const CREDENTIAL = deriveCredential(V.code, V.election.vote_day);

/** Re-sign a modified ballot with the vector's credential (to reach the proof checks). */
function resign(ballot, credential = CREDENTIAL) {
  const { signature: _, ...unsigned } = ballot;
  return { ...unsigned, signature: hex(credential.sign(signedMessage(unsigned))) };
}

test('the vector ballot verifies and its audit secrets open it', () => {
  const parsed = verifyBallot(V.ballot, QUESTIONS, ELECTION);
  assert.equal(parsed.answers.length, 3);
  verifyAudit(V.ballot, V.secrets, ELECTION);
});

test('the signed message is the vector one', () => {
  const { signature: _, ...unsigned } = V.ballot;
  assert.equal(hex(signedMessage(unsigned)), V.signed_message);
});

test('a flipped byte anywhere in a proof or ciphertext is refused', () => {
  const answer = V.ballot.answers[2];
  const paths = [
    ['proofs', 0, 0, 'c'], ['proofs', 1, 1, 's'], ['proofs', 2, 0, 's'],
    ['sum_proof', 0, 'c'], ['sum_proof', 1, 's'],
  ];
  for (const path of paths) {
    const ballot = clone(V.ballot);
    let node = ballot.answers[2];
    for (const key of path.slice(0, -1)) node = node[key];
    const last = path.at(-1);
    node[last] = flipHex(node[last], 3);
    assert.throws(() => verifyBallot(ballot, QUESTIONS, ELECTION), InvalidSignature, `unsigned ${path}`);
    assert.throws(() => verifyBallot(resign(ballot), QUESTIONS, ELECTION), InvalidProof, `signed ${path}`);
  }
  // a ciphertext byte: most flips leave the curve or the subgroup, and are malformed
  const ballot = clone(V.ballot);
  ballot.answers[2].ciphertexts[1].data = answer.ciphertexts[0].data;
  assert.throws(() => verifyBallot(resign(ballot), QUESTIONS, ELECTION), /question commune-261-1, option 1/);
});

test('the signature must be by the credential over exactly this ballot', () => {
  const ballot = clone(V.ballot);
  ballot.signature = flipHex(ballot.signature, 10);
  assert.throws(() => verifyBallot(ballot, QUESTIONS, ELECTION), /signature does not verify/);
  const other = deriveCredential('7HGY-YSYM-72G2-PD4P-752W-7X', V.election.vote_day);
  assert.throws(() => verifyBallot(resign(V.ballot, other), QUESTIONS, ELECTION), InvalidSignature);
});

test('answers copied to another credential do not verify (proofs are bound to it)', () => {
  const other = deriveCredential('7HGY-YSYM-72G2-PD4P-752W-7X', V.election.vote_day);
  const copied = resign({ ...clone(V.ballot), credential: hex(other.publicKey) }, other);
  assert.throws(() => verifyBallot(copied, QUESTIONS, ELECTION), /question federal-1, option 0/);
});

test('an answer moved to another question does not verify', () => {
  const ballot = clone(V.ballot);
  const [a, b] = ballot.answers;
  ballot.answers[0] = { ...b, question: a.question };
  ballot.answers[1] = { ...a, question: b.question };
  assert.throws(() => verifyBallot(resign(ballot), QUESTIONS, ELECTION), InvalidProof);
});

test('structure is checked before any signature or proof', () => {
  const cases = [
    [(b) => { b.extra = 1; }, /exactly/],
    [(b) => { delete b.signature; }, /exactly/],
    [(b) => { b.answers = []; }, /1 to 64 questions/],
    [(b) => { b.credential = b.credential.toUpperCase(); }, /lowercase/],
    [(b) => { b.signature = b.signature.slice(2); }, /128 hex digits/],
    [(b) => { b.vote_day = '2026-06-14-ch'; }, /vote day/],
    [(b) => { b.vote_day = 'bad\nid'; }, /printable ASCII/],
    [(b) => { b.answers.reverse(); }, /expected \["federal-1"/],
    [(b) => { b.answers[0].ciphertexts.pop(); }, /one ciphertext and one proof per option/],
    [(b) => { b.answers[2].ciphertexts.pop(); b.answers[2].proofs.pop(); }, /2 ciphertexts, expected 3/],
    [(b) => { b.answers[0].ciphertexts[0].pad = '00'.repeat(32); }, /question federal-1: .*identity/],
    [(b) => { b.answers[0].ciphertexts[0].data = `01${'00'.repeat(31)}`; }, /question federal-1: .*canonical ristretto255/],
    [(b) => { b.answers[0].proofs[0][0].c = 'ff'.repeat(32); }, /not canonical/],
    [(b) => { b.answers[0].sum_proof = []; }, /1 to 64 branches/],
  ];
  for (const [mutate, message] of cases) {
    const ballot = clone(V.ballot);
    mutate(ballot);
    assert.throws(() => verifyBallot(ballot, QUESTIONS, ELECTION), message, String(mutate));
  }
});

test('audits refuse a wrong selection or nonce', () => {
  const wrongChoice = clone(V.secrets);
  wrongChoice.selections['federal-1'] = [0, 1];
  assert.throws(() => verifyAudit(V.ballot, wrongChoice, ELECTION), /federal-1, option 0: revealed values do not match/);
  const wrongNonce = clone(V.secrets);
  wrongNonce.nonces['canton-zh-1'][1] = wrongNonce.nonces['canton-zh-1'][0];
  assert.throws(() => verifyAudit(V.ballot, wrongNonce, ELECTION), /canton-zh-1, option 1/);
  const missing = clone(V.secrets);
  missing.selections['commune-261-1'].pop();
  missing.nonces['commune-261-1'].pop();
  assert.throws(() => verifyAudit(V.ballot, missing, ELECTION), /does not reveal every option/);
  const uneven = clone(V.secrets);
  uneven.selections['commune-261-1'].pop(); // a selection without its nonce: malformed
  assert.throws(() => verifyAudit(V.ballot, uneven, ELECTION), MalformedBallot);
  const notBinary = clone(V.secrets);
  notBinary.selections['federal-1'] = [2, 0];
  assert.throws(() => verifyAudit(V.ballot, notBinary, ELECTION), MalformedBallot);
});

test('the prover refuses selections that would not verify', () => {
  const rng = deterministicRng('refusals');
  const good = { 'federal-1': [1, 0], 'canton-zh-1': [0, 0], 'commune-261-1': [1, 0, 1] };
  const bad = [
    { ...good, 'commune-261-1': [0, 0, 0] }, // below min
    { ...good, 'commune-261-1': [1, 1, 1] }, // above max
    { ...good, 'federal-1': [2, 0] },
    { ...good, 'federal-1': [1] },
    { 'federal-1': [1, 0] },
  ];
  for (const selections of bad) {
    assert.throws(() => encryptBallot(selections, QUESTIONS, ELECTION, CREDENTIAL, rng), ProofRefused);
  }
});

test('a fresh ballot with the secure rng verifies and differs each time', () => {
  const selections = { 'federal-1': [0, 1], 'canton-zh-1': [1, 0], 'commune-261-1': [0, 1, 1] };
  const a = encryptBallot(selections, QUESTIONS, ELECTION, CREDENTIAL);
  const b = encryptBallot(selections, QUESTIONS, ELECTION, CREDENTIAL);
  verifyBallot(a.ballot, QUESTIONS, ELECTION);
  verifyAudit(a.ballot, a.secrets, ELECTION);
  assert.notEqual(a.ballot.signature, b.ballot.signature);
  assert.throws(() => verifyAudit(a.ballot, b.secrets, ELECTION), InvalidProof);
});

test('a ballot signed to be audited has the vector signature and never verifies as cast', () => {
  const { signature: _, ...unsigned } = V.ballot;
  assert.equal(hex(signedMessage(unsigned, 'audit')), V.audit_signed_message);
  const audited = signBallot(unsigned, CREDENTIAL, 'audit');
  assert.equal(audited.signature, V.audit_signature);
  verifyBallot(audited, QUESTIONS, ELECTION, 'audit');
  assert.throws(() => verifyBallot(audited, QUESTIONS, ELECTION), InvalidSignature);
  assert.throws(() => verifyBallot(V.ballot, QUESTIONS, ELECTION, 'audit'), InvalidSignature);
});

test('audit secrets reveal exactly the ballot questions and options', () => {
  const extra = clone(V.secrets);
  extra.selections['<script>'] = [0];
  extra.nonces['<script>'] = [V.secrets.nonces['federal-1'][0]];
  assert.throws(() => verifyAudit(V.ballot, extra, ELECTION), InvalidProof);
  const long = clone(V.secrets);
  long.selections['x'.repeat(65)] = [];
  long.nonces['x'.repeat(65)] = [];
  assert.throws(() => verifyAudit(V.ballot, long, ELECTION), MalformedBallot);
  const more = clone(V.secrets);
  more.selections['federal-1'].push(0);
  more.nonces['federal-1'].push(V.secrets.nonces['federal-1'][0]);
  assert.throws(() => verifyAudit(V.ballot, more, ELECTION), InvalidProof);
});
