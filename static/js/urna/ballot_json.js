/**
 * Strict parsing of ballots, audit secrets, questions and election contexts
 * (docs/spec.md 6.4, 6.6 step 1 and 6.7), mirroring crypto/ballot.py.
 * Every hex string, point and scalar is checked; any defect throws
 * MalformedBallot naming what is wrong.
 * @module
 */
import { InvalidEncoding, MalformedBallot } from './errors.js';
import { hasExactKeys, unhex } from './bytes.js';
import { pointFromHex, scalarFromHex } from './group.js';
import { ciphertextFromJson } from './elgamal.js';
import { rangeProofFromJson } from './proofs.js';

export const MAX_QUESTIONS = 64;
export const MAX_OPTIONS = 32;
export const MAX_ID_LENGTH = 64;
const BALLOT_KEYS = ['vote_day', 'credential', 'answers', 'signature'];
const ANSWER_KEYS = ['question', 'ciphertexts', 'proofs', 'sum_proof'];

/** @typedef {import('./elgamal.js').Point} Point */
/** @typedef {import('./elgamal.js').Ciphertext} Ciphertext */
/** @typedef {import('./proofs.js').Branch} Branch */
/** @typedef {{id: string, options: number, min: number, max: number}} Question */
/** @typedef {{voteDay: string, manifestHash: Uint8Array, publicKey: Point}} Election */
/**
 * @typedef {object} Answer
 * @property {string} question
 * @property {Ciphertext[]} ciphertexts
 * @property {Branch[][]} proofs
 * @property {Branch[]} sumProof
 */
/**
 * @typedef {object} ParsedBallot
 * @property {string} voteDay
 * @property {Uint8Array} credential
 * @property {Answer[]} answers
 * @property {Uint8Array} signature
 */

/**
 * The election context from its JSON form {vote_day, manifest_hash (hex32),
 * public_key (hex32)}; other keys are ignored.
 * @param {{vote_day: unknown, manifest_hash: unknown, public_key: unknown}} value
 * @returns {Election}
 */
export function parseElection(value) {
  if (typeof value !== 'object' || value === null) throw new InvalidEncoding('an election is an object');
  return {
    voteDay: identifier(value.vote_day, 'vote_day', InvalidEncoding),
    manifestHash: unhex(value.manifest_hash, 32, 'manifest_hash'),
    publicKey: pointFromHex(value.public_key),
  };
}

/**
 * Check question specifications {id, options, min, max} (spec 6.1).
 * @param {unknown} questions
 * @returns {Question[]}
 */
export function checkQuestions(questions) {
  if (!Array.isArray(questions) || questions.length < 1 || questions.length > MAX_QUESTIONS) {
    throw new RangeError(`a ballot has 1 to ${MAX_QUESTIONS} questions`);
  }
  for (const q of questions) {
    identifier(q?.id, 'question id', RangeError);
    const { options, min, max } = q;
    if (!Number.isInteger(options) || options < 1 || options > MAX_OPTIONS) {
      throw new RangeError(`a question has 1 to ${MAX_OPTIONS} options, got ${options}`);
    }
    if (!Number.isInteger(min) || !Number.isInteger(max) || !(min >= 0 && min <= max && max <= options)) {
      throw new RangeError('selections must satisfy 0 <= min <= max <= options');
    }
  }
  return questions;
}

/**
 * Parse a ballot strictly; every point is validated.
 * @param {unknown} value
 * @returns {ParsedBallot}
 */
export function parseBallot(value) {
  if (!hasExactKeys(value, BALLOT_KEYS)) {
    throw new MalformedBallot(`a ballot is an object with exactly ${JSON.stringify([...BALLOT_KEYS].sort())}`);
  }
  const obj = /** @type {Record<string, unknown>} */ (value);
  const answers = obj.answers;
  if (!Array.isArray(answers) || answers.length < 1 || answers.length > MAX_QUESTIONS) {
    throw new MalformedBallot(`a ballot answers 1 to ${MAX_QUESTIONS} questions`);
  }
  const credential = unhex(obj.credential, 32, 'credential', MalformedBallot);
  const signature = unhex(obj.signature, 64, 'signature', MalformedBallot);
  return {
    voteDay: identifier(obj.vote_day, 'vote_day', MalformedBallot),
    credential,
    answers: answers.map(parseAnswer),
    signature,
  };
}

/** @param {unknown} value @returns {Answer} */
function parseAnswer(value) {
  if (!hasExactKeys(value, ANSWER_KEYS)) {
    throw new MalformedBallot(`an answer is an object with exactly ${JSON.stringify([...ANSWER_KEYS].sort())}`);
  }
  const obj = /** @type {Record<string, unknown>} */ (value);
  const question = identifier(obj.question, 'answer question', MalformedBallot);
  const { ciphertexts, proofs } = obj;
  if (!Array.isArray(ciphertexts) || !Array.isArray(proofs) || ciphertexts.length !== proofs.length) {
    throw new MalformedBallot(`question ${question}: one ciphertext and one proof per option`);
  }
  if (ciphertexts.length < 1 || ciphertexts.length > MAX_OPTIONS) {
    throw new MalformedBallot(`question ${question}: 1 to ${MAX_OPTIONS} options`);
  }
  try {
    return {
      question,
      ciphertexts: ciphertexts.map(ciphertextFromJson),
      proofs: proofs.map(rangeProofFromJson),
      sumProof: rangeProofFromJson(obj.sum_proof),
    };
  } catch (err) {
    if (err instanceof InvalidEncoding) throw new MalformedBallot(`question ${question}: ${err.message}`);
    throw err;
  }
}

/**
 * Parse the secrets a Benaloh audit reveals (spec 6.7).
 * @param {unknown} value {"selections": {q: [0|1…]}, "nonces": {q: [hex…]}}
 * @returns {{selections: Map<string, number[]>, nonces: Map<string, bigint[]>}}
 */
export function parseAuditSecrets(value) {
  if (!hasExactKeys(value, ['selections', 'nonces'])) {
    throw new MalformedBallot('audit secrets are {"selections": ..., "nonces": ...}');
  }
  const { selections: sel, nonces: non } = /** @type {Record<string, any>} */ (value);
  const isMap = (/** @type {unknown} */ v) => typeof v === 'object' && v !== null && !Array.isArray(v);
  const sameKeys = isMap(sel) && isMap(non) && hasExactKeys(non, Object.keys(sel));
  if (!sameKeys) throw new MalformedBallot('audit selections and nonces must name the same questions');
  const questions = Object.keys(sel);
  if (questions.length < 1 || questions.length > MAX_QUESTIONS) {
    throw new MalformedBallot(`audit secrets reveal 1 to ${MAX_QUESTIONS} questions`);
  }
  const selections = new Map();
  const nonces = new Map();
  for (const q of questions) {
    identifier(q, 'audited question id', MalformedBallot);
    if (!Array.isArray(sel[q]) || !Array.isArray(non[q])) {
      throw new MalformedBallot(`question ${q}: selections and nonces are lists`);
    }
    if (sel[q].length < 1 || sel[q].length > MAX_OPTIONS || sel[q].length !== non[q].length) {
      throw new MalformedBallot(`question ${q}: one selection and one nonce for each of 1 to ${MAX_OPTIONS} options`);
    }
    if (sel[q].some((/** @type {unknown} */ v) => v !== 0 && v !== 1)) {
      throw new MalformedBallot(`question ${q}: each selection is 0 or 1`);
    }
    selections.set(q, [...sel[q]]);
    nonces.set(q, non[q].map(scalarFromHex));
  }
  return { selections, nonces };
}

/**
 * An identifier: 1 to 64 printable ASCII characters.
 * @param {unknown} value @param {string} what
 * @param {new (message: string) => Error} Err
 * @returns {string}
 */
function identifier(value, what, Err) {
  if (typeof value !== 'string' || value.length < 1 || value.length > MAX_ID_LENGTH) {
    throw new Err(`${what} must be a string of 1 to ${MAX_ID_LENGTH} characters`);
  }
  if (!/^[\x20-\x7e]+$/.test(value)) throw new Err(`${what} must be printable ASCII`);
  return value;
}
