/**
 * Non-interactive zero-knowledge proofs, compact (challenge, response) form:
 * docs/spec.md section 5.
 *
 * - Schnorr proof of knowledge of x with X = x·G (tag urna/v1/schnorr);
 * - Chaum–Pedersen proof that log_G(X) = log_B(Y) (tag urna/v1/chaum-pedersen);
 * - disjunctive range proof that (α, β) encrypts some m in [lo, hi] under h
 *   (tag urna/v1/range), proved with the randomness order of spec 5.3.
 *
 * The verifier recomputes the commitments and checks that the challenge is
 * the hash of the context, the statement and the commitments.
 * @module
 */
import { InvalidEncoding, InvalidProof, ProofRefused } from './errors.js';
import { hasExactKeys, int8 } from './bytes.js';
import {
  G,
  baseTimes,
  modL,
  randomScalar,
  scalarFromHex,
  scalarToHex,
  smallMultiple,
  times,
  timesPublic,
} from './group.js';
import { hashToScalar } from './transcript.js';

/** @typedef {import('./elgamal.js').Point} Point */
/** @typedef {import('./elgamal.js').Ciphertext} Ciphertext */
/** @typedef {import('./group.js').RandomBytes} RandomBytes */
/** @typedef {{c: bigint, s: bigint}} Branch one (challenge, response) pair */

export const SCHNORR_TAG = 'urna/v1/schnorr';
export const CHAUM_PEDERSEN_TAG = 'urna/v1/chaum-pedersen';
export const RANGE_TAG = 'urna/v1/range';
/** A range proof covers at most this many values (one branch per value). */
export const MAX_RANGE_WIDTH = 64;

/** @param {Branch} branch @returns {{c: string, s: string}} */
export function branchToJson(branch) {
  return { c: scalarToHex(branch.c), s: scalarToHex(branch.s) };
}

/**
 * Decode {"c": hex32, "s": hex32} strictly.
 * @param {unknown} value
 * @returns {Branch}
 */
export function branchFromJson(value) {
  if (!hasExactKeys(value, ['c', 's'])) {
    throw new InvalidEncoding('a proof branch is an object with exactly "c" and "s"');
  }
  const obj = /** @type {{c: unknown, s: unknown}} */ (value);
  return { c: scalarFromHex(obj.c), s: scalarFromHex(obj.s) };
}

/** @param {Branch[]} proof @returns {{c: string, s: string}[]} */
export function rangeProofToJson(proof) {
  return proof.map(branchToJson);
}

/**
 * Decode a range proof: a list of 1 to 64 branches.
 * @param {unknown} value
 * @returns {Branch[]}
 */
export function rangeProofFromJson(value) {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_RANGE_WIDTH) {
    throw new InvalidEncoding(`a range proof is a list of 1 to ${MAX_RANGE_WIDTH} branches`);
  }
  return value.map(branchFromJson);
}

// --- Schnorr (5.1) -------------------------------------------------------------

/**
 * Prove knowledge of x with X = x·G.
 * @param {bigint} secret x
 * @param {Point} publicKey X
 * @param {Uint8Array[]} context
 * @param {RandomBytes} rng
 * @returns {Branch}
 */
export function proveKnowledge(secret, publicKey, context, rng) {
  if (!baseTimes(secret).equals(publicKey)) throw new ProofRefused('the secret does not match the public key');
  const w = randomScalar(rng); // (1) A = w·G
  const c = hashToScalar(SCHNORR_TAG, [...context, publicKey.toBytes(), baseTimes(w).toBytes()]);
  return { c, s: modL(w + c * secret) }; // (2) s = w + c·x
}

/**
 * Check a Schnorr proof; throws InvalidProof if it does not verify.
 * @param {Branch} proof
 * @param {Point} publicKey X
 * @param {Uint8Array[]} context
 */
export function verifyKnowledge(proof, publicKey, context) {
  // (1) A = s·G − c·X, (2) c must be the hash of the statement and A
  const a = timesPublic(G, proof.s).subtract(timesPublic(publicKey, proof.c));
  const expected = hashToScalar(SCHNORR_TAG, [...context, publicKey.toBytes(), a.toBytes()]);
  if (expected !== proof.c) throw new InvalidProof('Schnorr proof of knowledge does not verify: challenge mismatch');
}

// --- Chaum–Pedersen (5.2) ------------------------------------------------------

/**
 * Prove log_G(X) = log_B(Y) = x.
 * @param {bigint} secret x
 * @param {{base: Point, publicKey: Point, result: Point, context: Uint8Array[]}} statement B, X, Y
 * @param {RandomBytes} rng
 * @returns {Branch}
 */
export function proveEqualLogs(secret, { base, publicKey, result, context }, rng) {
  if (!baseTimes(secret).equals(publicKey) || !times(base, secret).equals(result)) {
    throw new ProofRefused('the secret does not match the statement');
  }
  const w = randomScalar(rng);
  const c = chaumPedersenChallenge(context, base, publicKey, result, baseTimes(w), times(base, w));
  return { c, s: modL(w + c * secret) };
}

/**
 * Check a Chaum–Pedersen proof; throws InvalidProof if it does not verify.
 * @param {Branch} proof
 * @param {{base: Point, publicKey: Point, result: Point, context: Uint8Array[]}} statement
 */
export function verifyEqualLogs(proof, { base, publicKey, result, context }) {
  const a = timesPublic(G, proof.s).subtract(timesPublic(publicKey, proof.c)); // (1) A = s·G − c·X
  const b = timesPublic(base, proof.s).subtract(timesPublic(result, proof.c)); // (2) B' = s·B − c·Y
  if (chaumPedersenChallenge(context, base, publicKey, result, a, b) !== proof.c) {
    throw new InvalidProof('Chaum–Pedersen proof does not verify: challenge mismatch');
  }
}

/** @param {Uint8Array[]} context @param {...Point} points @returns {bigint} */
function chaumPedersenChallenge(context, ...points) {
  return hashToScalar(CHAUM_PEDERSEN_TAG, [...context, ...points.map((p) => p.toBytes())]);
}

// --- Disjunctive range proof (5.3) ------------------------------------------

/**
 * Prove that ciphertext = Enc(value; nonce) with lo <= value <= hi, drawing
 * randomness in the order of spec 5.3 (w, then c_j and s_j for each j ≠ m).
 * @param {Ciphertext} ciphertext
 * @param {{value: number, nonce: bigint, publicKey: Point, lo: number, hi: number,
 *          context: Uint8Array[]}} statement
 * @param {RandomBytes} rng
 * @returns {Branch[]}
 */
export function proveRange(ciphertext, { value, nonce, publicKey, lo, hi, context }, rng) {
  checkRangeBounds(lo, hi);
  if (!Number.isSafeInteger(value) || value < lo || value > hi) {
    throw new ProofRefused(`value ${value} is outside the range [${lo}, ${hi}]; refusing to prove`);
  }
  if (!baseTimes(nonce).equals(ciphertext.pad)) throw new ProofRefused('the nonce does not match the ciphertext');
  /** @type {Branch[]} */
  const branches = [];
  /** @type {Uint8Array[]} */
  const commitments = [];
  const w = randomScalar(rng); // (1)
  for (let j = lo; j <= hi; j++) {
    if (j === value) {
      // (3) real branch: A = w·G, B = w·h (challenge and response set below)
      branches.push({ c: 0n, s: 0n });
      commitments.push(baseTimes(w).toBytes(), times(publicKey, w).toBytes());
    } else {
      // (2) simulated branch: c_j then s_j; with t = s_j − c_j·r the verifier's
      // A_j = t·G and B_j = t·h − c_j·(m − j)·G
      const c = randomScalar(rng);
      const s = randomScalar(rng);
      const t = modL(s - c * nonce);
      const b = times(publicKey, t).subtract(baseTimes(modL(c * BigInt(value - j))));
      branches.push({ c, s });
      commitments.push(baseTimes(t).toBytes(), b.toBytes());
    }
  }
  // (4) c_m = c − Σ_{j≠m} c_j, s_m = w + c_m·r
  const c = rangeChallenge(context, publicKey, ciphertext, lo, hi, commitments);
  const real = branches[value - lo];
  real.c = modL(c - sumChallenges(branches));
  real.s = modL(w + real.c * nonce);
  return branches;
}

/**
 * Check that the ciphertext encrypts a value in [lo, hi]; throws InvalidProof.
 * @param {Branch[]} proof
 * @param {Ciphertext} ciphertext
 * @param {{publicKey: Point, lo: number, hi: number, context: Uint8Array[]}} statement
 */
export function verifyRange(proof, ciphertext, { publicKey, lo, hi, context }) {
  checkRangeBounds(lo, hi);
  if (!Array.isArray(proof) || proof.length !== hi - lo + 1) {
    const got = Array.isArray(proof) ? proof.length : 0;
    throw new InvalidProof(`range proof for [${lo}, ${hi}] needs ${hi - lo + 1} branches, got ${got}`);
  }
  /** @type {Uint8Array[]} */
  const commitments = [];
  for (let j = lo; j <= hi; j++) {
    const { c, s } = proof[j - lo];
    // A_j = s_j·G − c_j·α ;  B_j = s_j·h − c_j·(β − j·G)
    const a = timesPublic(G, s).subtract(timesPublic(ciphertext.pad, c));
    const shifted = j ? ciphertext.data.subtract(smallMultiple(j)) : ciphertext.data;
    const b = timesPublic(publicKey, s).subtract(timesPublic(shifted, c));
    commitments.push(a.toBytes(), b.toBytes());
  }
  const c = rangeChallenge(context, publicKey, ciphertext, lo, hi, commitments);
  if (c !== sumChallenges(proof)) {
    throw new InvalidProof(`range proof for [${lo}, ${hi}] does not verify: challenge mismatch`);
  }
}

/** @param {number} lo @param {number} hi */
function checkRangeBounds(lo, hi) {
  const ok = Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && lo >= 0 && lo <= hi;
  if (!ok || hi - lo + 1 > MAX_RANGE_WIDTH) throw new RangeError(`unsupported range [${lo}, ${hi}]`);
}

/**
 * @param {Uint8Array[]} context @param {Point} publicKey @param {Ciphertext} ct
 * @param {number} lo @param {number} hi @param {Uint8Array[]} commitments
 * @returns {bigint}
 */
function rangeChallenge(context, publicKey, ct, lo, hi, commitments) {
  return hashToScalar(RANGE_TAG, [
    ...context,
    int8(lo),
    int8(hi),
    publicKey.toBytes(),
    ct.pad.toBytes(),
    ct.data.toBytes(),
    ...commitments,
  ]);
}

/** @param {Branch[]} branches @returns {bigint} Σ c_j mod L */
function sumChallenges(branches) {
  return modL(branches.reduce((sum, b) => sum + b.c, 0n));
}
