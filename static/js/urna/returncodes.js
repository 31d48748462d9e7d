/**
 * Return codes, the device's side (crypto/returncodes.py; docs/return-codes.md):
 *
 * - the voter's secret x_c from the voting code and the vote day
 *   ({@link deriveVoterSecret}) and X_c = x_c·G;
 * - the option points P_{q,o} ({@link optionPoint}) and the ballot casting
 *   key's point P_bck ({@link bckPoint});
 * - for each single-choice question, pCC = x_c·P_{q,o*} with the OR proof
 *   bound to the ballot's ciphertexts ({@link provePartialCode}), and its
 *   verifier ({@link verifyPartialCode});
 * - the confirmation: pBCK = x_c·P_bck with a Schnorr proof of knowledge of
 *   x_c bound to it ({@link proveConfirmation}).
 *
 * Pure: no DOM, no network; randomness injected (secureRandom unless testing).
 * @module
 */
import { hex, lengthPrefixed, utf8, unhex, hasExactKeys } from './bytes.js';
import { canonicalJson } from './jcs.js';
import { normaliseCode } from './credentials.js';
import {
  G, L, baseTimes, modL, pointFromHex, pointFromUniformBytes, pointToBytes, pointToHex,
  randomScalar, scalarFromHex, scalarToHex, times, timesPublic,
} from './group.js';
import { hashParts, hashToScalar } from './transcript.js';
import { sumCiphertexts, ciphertextFromJson } from './elgamal.js';
import { secureRandom } from './rng.js';
import { InvalidEncoding, InvalidProof, ProofRefused } from './errors.js';

/** @typedef {import('./group.js').Point} Point */

export const VOTER_TAG = 'urna/v1/rc-voter';
export const OPTION_TAG = 'urna/v1/rc-option';
export const BCK_TAG = 'urna/v1/rc-bck';
export const CONFIRM_POINT_TAG = 'urna/v1/rc-confirm';
export const CHOICE_PROOF_TAG = 'urna/v1/rc-choice-proof';
export const CONFIRM_PROOF_TAG = 'urna/v1/rc-confirm-proof';
export const STATUS_TAG = 'urna/v1/rc-status';
export const BLANK = 'blank';

/** @param {Uint8Array} bytes 64 bytes @returns {bigint} */
function uniformScalar(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i -= 1) n = (n << 8n) | BigInt(bytes[i]);
  return n % L;
}

/**
 * x_c = SHA-512(lp(rc-voter) ‖ lp(day) ‖ lp(normalised code)) mod L.
 * @param {string} code the voting code as typed (normalised here)
 * @param {string} voteDay
 * @returns {bigint}
 * @throws {InvalidEncoding} the code is malformed
 */
export function deriveVoterSecret(code, voteDay) {
  const x = uniformScalar(hashParts(VOTER_TAG, [utf8(voteDay), utf8(normaliseCode(code))]));
  if (x === 0n) throw new ProofRefused('derived a zero scalar; choose another secret');
  return x;
}

/** X_c = x_c·G. @param {bigint} secret @returns {Point} */
export function voterPublic(secret) {
  return baseTimes(secret);
}

/**
 * The return-code questions: those with at most one selection.
 * @template {{max: number}} Q @param {Q[]} questions @returns {Q[]}
 */
export function returnCodeQuestions(questions) {
  return questions.filter((q) => q.max === 1);
}

/**
 * "0" … "k-1", then "blank" if the question may be left blank.
 * @param {{id: string, options: number, min: number, max: number}} q
 * @returns {string[]}
 */
export function choiceLabels(q) {
  if (q.max !== 1) {
    throw new ProofRefused(`question ${q.id}: return codes need a single-choice question, it allows ${q.max}`);
  }
  const labels = Array.from({ length: q.options }, (_, i) => String(i));
  return q.min === 0 ? [...labels, BLANK] : labels;
}

/** P_{q,o}. @param {string} voteDay @param {string} questionId @param {string} choice @returns {Point} */
export function optionPoint(voteDay, questionId, choice) {
  return pointFromUniformBytes(hashParts(OPTION_TAG, [utf8(voteDay), utf8(questionId), utf8(choice)]));
}

export const BCK_DIGITS = 9;

/** Damm's totally anti-symmetric quasigroup of order 10 (crypto/returncode_table.py). */
const DAMM = [
  '0317598642', '7092154863', '4206871359', '1750983426', '6123045978',
  '3674209581', '5869720134', '8945362017', '9438617205', '2581436790',
];

/** The Damm check digit of a string of decimal digits. @param {string} digits @returns {string} */
export function dammCheckDigit(digits) {
  let interim = 0;
  for (const ch of digits) interim = Number(DAMM[interim][Number(ch)]);
  return String(interim);
}

/**
 * What is wrong with a typed ballot casting key: null (nothing), 'length'
 * (not 9 digits once spaces and dashes are dropped) or 'check' (a typing
 * error: the check digit is wrong). The page says which, before any try is spent.
 * @param {string} text @returns {null | 'length' | 'check'}
 */
export function bckProblem(text) {
  const digits = String(text).replace(/[\s\-\u2010-\u2015\u2212]/g, '');
  if (digits.length !== BCK_DIGITS || !/^[0-9]+$/.test(digits)) return 'length';
  return dammCheckDigit(digits) === '0' ? null : 'check';
}

/**
 * The ballot casting key as the card prints it, forgiving: spaces and dashes
 * are dropped; 9 digits whose Damm check digit is right (returncode_table.normalise_bck).
 * @param {string} text @returns {string}
 * @throws {InvalidEncoding} not 9 digits, or a typing error
 */
export function normaliseBck(text) {
  const problem = bckProblem(text);
  if (problem === 'length') throw new InvalidEncoding(`a ballot casting key has ${BCK_DIGITS} digits`);
  if (problem === 'check') {
    throw new InvalidEncoding('the ballot casting key has a typing error (its check digit is wrong)');
  }
  return String(text).replace(/[\s\-\u2010-\u2015\u2212]/g, '');
}

/** P_bck. @param {string} voteDay @param {string} bck digits @returns {Point} */
export function bckPoint(voteDay, bck) {
  return pointFromUniformBytes(hashParts(BCK_TAG, [utf8(voteDay), utf8(bck)]));
}

/**
 * Q = H2G(rc-confirm, day, credential, pBCK).
 * @param {string} voteDay @param {Uint8Array} credential @param {Point} pbck @returns {Point}
 */
export function confirmationPoint(voteDay, credential, pbck) {
  return pointFromUniformBytes(hashParts(CONFIRM_POINT_TAG, [utf8(voteDay), credential, pointToBytes(pbck)]));
}

/**
 * One branch per choice: (P_o, α, β') with β' = β − G for an option, the
 * question's summed ciphertext for blank. The option points are the vote
 * day's as pinned by the election (never the ballot's own claim).
 * @param {{answers: {question: string, ciphertexts: object[]}[]}} ballot JSON
 * @param {{id: string, options: number, min: number, max: number}} q
 * @param {string} voteDay the election's vote day
 */
function branches(ballot, q, voteDay) {
  const answer = ballot.answers.find((a) => a.question === q.id);
  if (!answer || answer.ciphertexts.length !== q.options) {
    throw new InvalidProof(`question ${q.id}: the ballot does not answer it as specified`);
  }
  const cts = answer.ciphertexts.map(ciphertextFromJson);
  return choiceLabels(q).map((label) => {
    const point = optionPoint(voteDay, q.id, label);
    if (label === BLANK) {
      const total = sumCiphertexts(cts);
      return { point, pad: total.pad, shifted: total.data };
    }
    const ct = cts[Number(label)];
    return { point, pad: ct.pad, shifted: ct.data.subtract(G) };
  });
}

/** s·G − c·X ; s·P − c·pCC ; t·G − c·α ; t·h − c·β' */
function branchCommitments(branch, publicKey, pcc, h, c, s, t) {
  return [
    baseTimes(s).subtract(timesPublic(publicKey, c)),
    timesPublic(branch.point, s).subtract(timesPublic(pcc, c)),
    baseTimes(t).subtract(timesPublic(branch.pad, c)),
    timesPublic(h, t).subtract(timesPublic(branch.shifted, c)),
  ];
}

function choiceChallenge(ballot, q, election, publicKey, pcc, bs, commitments) {
  const parts = [
    utf8(election.voteDay), election.manifestHash, pointToBytes(election.publicKey),
    unhex(ballot.credential, 32, 'credential'), utf8(q.id), pointToBytes(publicKey), pointToBytes(pcc),
  ];
  bs.forEach((b, i) => {
    parts.push(pointToBytes(b.point), pointToBytes(b.pad), pointToBytes(b.shifted));
    for (const p of commitments[i]) parts.push(pointToBytes(p));
  });
  return hashToScalar(CHOICE_PROOF_TAG, parts);
}

/**
 * The partial choice code of question q with its proof, as the server takes it:
 * {question, pcc, proof: [{c, s, t}, …]}.
 * @param {object} ballot the signed ballot's JSON
 * @param {{selections: Record<string, number[]>, nonces: Record<string, string[]>}} secrets
 * @param {{id: string, options: number, min: number, max: number}} q
 * @param {{voteDay: string, manifestHash: Uint8Array, publicKey: Point}} election
 * @param {bigint} voterSecret x_c
 * @param {(n: number) => Uint8Array} [rng]
 * @returns {{question: string, pcc: string, proof: {c: string, s: string, t: string}[]}}
 */
export function provePartialCode(ballot, secrets, q, election, voterSecret, rng = secureRandom) {
  const labels = choiceLabels(q);
  const selections = secrets.selections[q.id];
  const nonces = secrets.nonces[q.id]?.map(scalarFromHex);
  if (!selections || !nonces || !ballot.answers.some((a) => a.question === q.id)) {
    throw new ProofRefused(`question ${q.id}: the ballot does not answer it`);
  }
  let chosen;
  let r;
  if (selections.every((v) => v === 0)) {
    chosen = BLANK;
    r = modL(nonces.reduce((a, b) => a + b, 0n));
  } else {
    const index = selections.indexOf(1);
    chosen = String(index);
    r = nonces[index];
  }
  if (!labels.includes(chosen)) throw new ProofRefused(`question ${q.id}: choice ${chosen} is not allowed`);
  const k = labels.indexOf(chosen);
  const bs = branches(ballot, q, election.voteDay);
  const pcc = times(bs[k].point, voterSecret);
  const publicKey = voterPublic(voterSecret);
  const h = election.publicKey;
  const cs = []; const ss = []; const ts = []; const commitments = [];
  const w = randomScalar(rng);
  const v = randomScalar(rng);
  bs.forEach((branch, i) => {
    if (i === k) { // (1) the real branch commits to fresh w, v
      cs.push(0n); ss.push(0n); ts.push(0n);
      commitments.push([baseTimes(w), times(branch.point, w), baseTimes(v), times(h, v)]);
    } else { // (2) simulated branches: random c, s, t
      const c = randomScalar(rng); const s = randomScalar(rng); const t = randomScalar(rng);
      cs.push(c); ss.push(s); ts.push(t);
      commitments.push(branchCommitments(branch, publicKey, pcc, h, c, s, t));
    }
  });
  const total = choiceChallenge(ballot, q, election, publicKey, pcc, bs, commitments);
  const cReal = modL(total - cs.reduce((a, b) => a + b, 0n)); // (3)
  cs[k] = cReal;
  ss[k] = modL(w + cReal * voterSecret);
  ts[k] = modL(v + cReal * r);
  return {
    question: q.id,
    pcc: pointToHex(pcc),
    proof: cs.map((c, i) => ({ c: scalarToHex(c), s: scalarToHex(ss[i]), t: scalarToHex(ts[i]) })),
  };
}

/**
 * Check a partial code against the ballot and the voter's X_c.
 * @param {{question: string, pcc: string, proof: object[]}} code
 * @param {object} ballot @param {{id: string, options: number, min: number, max: number}} q
 * @param {{voteDay: string, manifestHash: Uint8Array, publicKey: Point}} election
 * @param {Point} voterKey
 * @throws {InvalidProof | InvalidEncoding}
 */
export function verifyPartialCode(code, ballot, q, election, voterKey) {
  if (!hasExactKeys(code, ['question', 'pcc', 'proof']) || !Array.isArray(code.proof)) {
    throw new InvalidEncoding('a partial code is an object with exactly "question", "pcc", "proof"');
  }
  if (code.question !== q.id) throw new InvalidProof(`partial code for ${code.question}, expected ${q.id}`);
  const labels = choiceLabels(q);
  if (code.proof.length !== labels.length) {
    throw new InvalidProof(`question ${q.id}: the choice proof needs ${labels.length} branches`);
  }
  const pcc = pointFromHex(code.pcc);
  const rows = code.proof.map((b) => {
    if (!hasExactKeys(b, ['c', 's', 't'])) throw new InvalidEncoding('a choice-proof branch has exactly c, s, t');
    return [scalarFromHex(b.c), scalarFromHex(b.s), scalarFromHex(b.t)];
  });
  const bs = branches(ballot, q, election.voteDay);
  const commitments = bs.map((b, i) => branchCommitments(b, voterKey, pcc, election.publicKey, ...rows[i]));
  const total = choiceChallenge(ballot, q, election, voterKey, pcc, bs, commitments);
  if (total !== modL(rows.reduce((a, r) => a + r[0], 0n))) {
    throw new InvalidProof(`question ${q.id}: the partial choice code does not match the ballot`);
  }
}

function confirmChallenge(voteDay, credential, publicKey, pbck, commitment) {
  return hashToScalar(CONFIRM_PROOF_TAG, [
    utf8(voteDay), credential, pointToBytes(publicKey), pointToBytes(pbck), pointToBytes(commitment),
  ]);
}

/**
 * pBCK = x_c·P_bck and a proof of knowledge of x_c bound to it: the
 * confirmation request's {pbck, proof: {c, s}}.
 * @param {bigint} voterSecret @param {string} bck digits (see {@link normaliseBck})
 * @param {string} voteDay @param {Uint8Array} credential
 * @param {(n: number) => Uint8Array} [rng]
 * @returns {{pbck: string, proof: {c: string, s: string}}}
 */
export function proveConfirmation(voterSecret, bck, voteDay, credential, rng = secureRandom) {
  const pbck = times(bckPoint(voteDay, bck), voterSecret);
  const w = randomScalar(rng);
  const c = confirmChallenge(voteDay, credential, voterPublic(voterSecret), pbck, baseTimes(w));
  return { pbck: pointToHex(pbck), proof: { c: scalarToHex(c), s: scalarToHex(modL(w + c * voterSecret)) } };
}

/**
 * @param {{pbck: string, proof: {c: string, s: string}}} request
 * @param {string} voteDay @param {Uint8Array} credential @param {Point} voterKey
 * @throws {InvalidProof}
 */
export function verifyConfirmation(request, voteDay, credential, voterKey) {
  const pbck = pointFromHex(request.pbck);
  const c = scalarFromHex(request.proof.c);
  const s = scalarFromHex(request.proof.s);
  const commitment = baseTimes(s).subtract(timesPublic(voterKey, c));
  if (confirmChallenge(voteDay, credential, voterKey, pbck, commitment) !== c) {
    throw new InvalidProof('the confirmation proof does not verify for this voter');
  }
}


/**
 * The bytes a credential signs to read its ballot's return codes again
 * (crypto/returncode_status.py): lp(STATUS_TAG) ‖ lp(JCS({credential, vote_day})).
 * @param {string} voteDay @param {Uint8Array} credential the public key
 * @returns {Uint8Array}
 */
export function statusMessage(voteDay, credential) {
  return lengthPrefixed([utf8(STATUS_TAG), canonicalJson({ credential: hex(credential), vote_day: voteDay })]);
}
