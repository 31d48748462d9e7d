/**
 * Encrypted ballots: encryption, proofs, credential signature, verification
 * and Benaloh audits (docs/spec.md section 6), mirroring crypto/ballot.py.
 *
 * For each question with k options a ballot holds k ciphertexts, one range
 * proof [0, 1] per option and one range proof [min, max] for their sum; every
 * proof is bound to the vote day, its manifest hash, the election key, the
 * voter's credential and the question id. The credential signs
 *   lp(tag) ‖ lp(JCS(ballot without "signature"))
 * with tag "urna/v1/ballot-signature" once the voter chooses to cast, or
 * "urna/v1/ballot-audit" once the voter chooses to audit: an audited ballot
 * is never in a castable form (docs/spec.md 6.7).
 * @module
 */
import { InvalidProof, InvalidSignature, MalformedBallot, ProofRefused } from './errors.js';
import { hex, int8, lengthPrefixed, utf8 } from './bytes.js';
import { isValidSignature } from './ed25519.js';
import { modL, scalarToHex } from './group.js';
import { canonicalJson } from './jcs.js';
import { ciphertextToJson, ciphertextsEqual, encrypt, encryptWithNonce, sumCiphertexts } from './elgamal.js';
import { proveRange, rangeProofToJson, verifyRange } from './proofs.js';
import { secureRandom } from './rng.js';
import { checkQuestions, parseAuditSecrets, parseBallot } from './ballot_json.js';

export { parseBallot, parseElection, parseAuditSecrets, checkQuestions } from './ballot_json.js';

export const SIGNATURE_TAG = 'urna/v1/ballot-signature';
export const AUDIT_TAG = 'urna/v1/ballot-audit';

/** @param {'cast' | 'audit'} purpose @returns {string} */
function purposeTag(purpose) {
  if (purpose === 'cast') return SIGNATURE_TAG;
  if (purpose === 'audit') return AUDIT_TAG;
  throw new Error(`a ballot is signed to be cast or to be audited, not ${JSON.stringify(purpose)}`);
}

/** @typedef {import('./ballot_json.js').Question} Question */
/** @typedef {import('./ballot_json.js').Election} Election */
/** @typedef {import('./ballot_json.js').ParsedBallot} ParsedBallot */
/** @typedef {import('./credentials.js').Credential} Credential */

/**
 * The bytes the credential signs: lp(tag) ‖ lp(JCS(ballot without signature)).
 * @param {{vote_day: string, credential: string, answers: unknown[]}} unsigned
 * @param {'cast' | 'audit'} [purpose] the voter's choice ('cast' unless given)
 * @returns {Uint8Array}
 */
export function signedMessage(unsigned, purpose = 'cast') {
  return lengthPrefixed([utf8(purposeTag(purpose)), canonicalJson(unsigned)]);
}

/**
 * Sign an unsigned ballot once the voter has chosen to cast it or to audit it.
 * @param {{vote_day: string, credential: string, answers: unknown[]}} unsigned
 * @param {Credential} credential
 * @param {'cast' | 'audit'} purpose
 * @returns {object} the ballot JSON with its signature
 */
export function signBallot(unsigned, credential, purpose) {
  if (unsigned.credential !== hex(credential.publicKey)) {
    throw new Error('a ballot is signed by the credential it names');
  }
  return { ...unsigned, signature: hex(credential.sign(signedMessage(unsigned, purpose))) };
}

/**
 * Encrypt, prove and sign a ballot to be cast (encryptUnsigned, then signBallot).
 * @param {Record<string, number[]>} selections for each question id, one 0/1 per option
 * @param {Question[]} questions the voter's questions, in ballot order
 * @param {Election} election
 * @param {Credential} credential
 * @param {(n: number) => Uint8Array} [rng] secureRandom unless testing
 * @returns {{ballot: object, secrets: object}} the ballot JSON and what an audit reveals
 */
export function encryptBallot(selections, questions, election, credential, rng = secureRandom) {
  const { unsigned, secrets } = encryptUnsigned(selections, questions, election, credential, rng);
  return { ballot: signBallot(unsigned, credential, 'cast'), secrets };
}

/**
 * Encrypt and prove a ballot, not yet signed: the browser shows its
 * fingerprint, then signs it for what the voter chooses (cast or audit).
 * @param {Record<string, number[]>} selections for each question id, one 0/1 per option
 * @param {Question[]} questions the voter's questions, in ballot order
 * @param {Election} election
 * @param {Credential} credential
 * @param {(n: number) => Uint8Array} [rng] secureRandom unless testing
 * @returns {{unsigned: {vote_day: string, credential: string, answers: object[]}, secrets: object}}
 */
export function encryptUnsigned(selections, questions, election, credential, rng = secureRandom) {
  checkQuestions(questions);
  const ids = questions.map((q) => q.id);
  const given = Object.keys(selections ?? {});
  if (given.length !== ids.length || !ids.every((id) => Object.hasOwn(selections, id))) {
    throw new ProofRefused("selections must answer exactly the ballot's questions");
  }
  const answers = [];
  /** @type {Record<string, number[]>} */
  const chosen = {};
  /** @type {Record<string, string[]>} */
  const nonces = {};
  for (const q of questions) {
    const { answer, answerNonces } = encryptAnswer([...selections[q.id]], q, election, credential.publicKey, rng);
    answers.push(answer);
    chosen[q.id] = [...selections[q.id]];
    nonces[q.id] = answerNonces.map(scalarToHex);
  }
  const unsigned = { vote_day: election.voteDay, credential: hex(credential.publicKey), answers };
  return { unsigned, secrets: { selections: chosen, nonces } };
}

/**
 * @param {number[]} chosen @param {Question} q @param {Election} election
 * @param {Uint8Array} credential @param {(n: number) => Uint8Array} rng
 */
function encryptAnswer(chosen, q, election, credential, rng) {
  if (chosen.length !== q.options || chosen.some((v) => v !== 0 && v !== 1)) {
    throw new ProofRefused(`question ${q.id}: give one 0 or 1 for each of ${q.options} options`);
  }
  const total = chosen.reduce((a, b) => a + b, 0);
  if (total < q.min || total > q.max) {
    throw new ProofRefused(`question ${q.id}: ${total} selections, allowed ${q.min} to ${q.max}`);
  }
  const publicKey = election.publicKey;
  const encrypted = chosen.map((v) => encrypt(v, publicKey, rng)); // (1) nonces in option order
  const cts = encrypted.map((e) => e.ciphertext);
  const nonces = encrypted.map((e) => e.nonce);
  const proofs = chosen.map((value, i) => // (2) each option encrypts 0 or 1
    proveRange(cts[i], {
      value, nonce: nonces[i], publicKey, lo: 0, hi: 1,
      context: optionContext(election, credential, q.id, i),
    }, rng));
  const sumProof = proveRange(sumCiphertexts(cts), { // (3) min <= Σ <= max
    value: total,
    nonce: modL(nonces.reduce((a, b) => a + b, 0n)),
    publicKey, lo: q.min, hi: q.max,
    context: sumContext(election, credential, q.id),
  }, rng);
  const answer = {
    question: q.id,
    ciphertexts: cts.map(ciphertextToJson),
    proofs: proofs.map(rangeProofToJson),
    sum_proof: rangeProofToJson(sumProof),
  };
  return { answer, answerNonces: nonces };
}

/**
 * Check a ballot completely, in the order of spec 6.6: structure and
 * encodings, vote day and questions, the credential's signature, every proof.
 * @param {unknown} ballotJson
 * @param {Question[]} questions the questions of the voter's unit, in order
 * @param {Election} election
 * @param {'cast' | 'audit'} [purpose] which signature to expect ('cast' unless given)
 * @returns {ParsedBallot} the parsed ballot (it verified)
 * @throws {MalformedBallot | InvalidSignature | InvalidProof}
 */
export function verifyBallot(ballotJson, questions, election, purpose = 'cast') {
  checkQuestions(questions);
  const ballot = parseBallot(ballotJson); // (1)
  checkBallotShape(ballot, questions, election); // (2)
  const unsigned = {
    vote_day: ballot.voteDay,
    credential: hex(ballot.credential),
    answers: ballot.answers.map(answerToJson), // re-encoded from what was parsed, as Python does
  };
  if (!isValidSignature(ballot.signature, signedMessage(unsigned, purpose), ballot.credential)) { // (3)
    const what = purpose === 'cast' ? 'a cast ballot' : 'an audited ballot';
    throw new InvalidSignature(`the credential's signature does not verify as that of ${what}`);
  }
  questions.forEach((q, i) => verifyAnswer(ballot.answers[i], q, election, ballot.credential)); // (4)
  return ballot;
}

/** @param {import('./ballot_json.js').Answer} a */
function answerToJson(a) {
  return {
    question: a.question,
    ciphertexts: a.ciphertexts.map(ciphertextToJson),
    proofs: a.proofs.map(rangeProofToJson),
    sum_proof: rangeProofToJson(a.sumProof),
  };
}

/**
 * The cheap structural checks: vote day, questions in order, option counts.
 * @param {ParsedBallot} ballot @param {Question[]} questions @param {Election} election
 */
export function checkBallotShape(ballot, questions, election) {
  if (ballot.voteDay !== election.voteDay) {
    throw new MalformedBallot(`ballot is for vote day ${JSON.stringify(ballot.voteDay)}, expected ${JSON.stringify(election.voteDay)}`);
  }
  const expected = questions.map((q) => q.id);
  const got = ballot.answers.map((a) => a.question);
  if (got.length !== expected.length || got.some((id, i) => id !== expected[i])) {
    throw new MalformedBallot(`ballot answers questions ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
  }
  questions.forEach((q, i) => {
    const n = ballot.answers[i].ciphertexts.length;
    if (n !== q.options) throw new MalformedBallot(`question ${q.id}: ${n} ciphertexts, expected ${q.options}`);
  });
}

/**
 * @param {import('./ballot_json.js').Answer} answer @param {Question} q
 * @param {Election} election @param {Uint8Array} credential
 */
function verifyAnswer(answer, q, election, credential) {
  const publicKey = election.publicKey;
  answer.ciphertexts.forEach((ct, i) => {
    const context = optionContext(election, credential, q.id, i);
    relabel(`question ${q.id}, option ${i}`, () => verifyRange(answer.proofs[i], ct, { publicKey, lo: 0, hi: 1, context }));
  });
  const context = sumContext(election, credential, q.id);
  relabel(`question ${q.id}, number of selections`, () =>
    verifyRange(answer.sumProof, sumCiphertexts(answer.ciphertexts), { publicKey, lo: q.min, hi: q.max, context }));
}

/** @param {string} label @param {() => void} check */
function relabel(label, check) {
  try {
    check();
  } catch (err) {
    if (err instanceof InvalidProof) throw new InvalidProof(`${label}: ${err.message}`);
    throw err;
  }
}

/**
 * Benaloh audit: re-encrypt the revealed selections with the revealed nonces
 * and compare with the ballot's ciphertexts (spec 6.7).
 * @param {unknown} ballotJson
 * @param {unknown} secretsJson
 * @param {Election} election
 * @throws {MalformedBallot | InvalidProof}
 */
export function verifyAudit(ballotJson, secretsJson, election) {
  const ballot = parseBallot(ballotJson);
  const { selections, nonces } = parseAuditSecrets(secretsJson);
  const answered = new Set(ballot.answers.map((a) => a.question));
  const extra = [...selections.keys()].filter((q) => !answered.has(q));
  if (extra.length > 0) {
    throw new InvalidProof(`the audit reveals questions the ballot does not answer (${extra.slice(0, 3).map((q) => JSON.stringify(q)).join(', ')}): it must reveal exactly the ballot's questions`);
  }
  for (const answer of ballot.answers) {
    const q = answer.question;
    const chosen = selections.get(q);
    const rs = nonces.get(q);
    const n = answer.ciphertexts.length;
    if (chosen === undefined || rs === undefined || chosen.length !== n || rs.length !== n) {
      throw new InvalidProof(`question ${q}: the audit does not reveal every option`);
    }
    answer.ciphertexts.forEach((ct, i) => {
      if (!ciphertextsEqual(encryptWithNonce(chosen[i], election.publicKey, rs[i]), ct)) {
        throw new InvalidProof(`question ${q}, option ${i}: revealed values do not match`);
      }
    });
  }
}

/** @param {Election} e @param {Uint8Array} credential @param {string} qid @returns {Uint8Array[]} */
function baseContext(e, credential, qid) {
  return [utf8(e.voteDay), e.manifestHash, e.publicKey.toBytes(), credential, utf8(qid)];
}

/** [vote_day, manifest_hash, h, credential, q, "option", int8(i)] */
function optionContext(/** @type {Election} */ e, /** @type {Uint8Array} */ credential, /** @type {string} */ qid, /** @type {number} */ i) {
  return [...baseContext(e, credential, qid), utf8('option'), int8(i)];
}

/** [vote_day, manifest_hash, h, credential, q, "sum"] */
function sumContext(/** @type {Election} */ e, /** @type {Uint8Array} */ credential, /** @type {string} */ qid) {
  return [...baseContext(e, credential, qid), utf8('sum')];
}
