// A port of tests/vectors/build.py onto the browser modules: each builder
// returns the same object as its Python twin, drawn from the same
// deterministic random stream, so render() must give the files byte for byte.
import { hex, utf8 } from '../../static/js/urna/bytes.js';
import { baseTimes, pointFromHex as unhexPoint, pointToHex, randomScalar, scalarToHex, times } from '../../static/js/urna/group.js';
import { hashToScalar } from '../../static/js/urna/transcript.js';
import { deterministicRng } from '../../static/js/urna/rng.js';
import { ciphertextToJson, encryptWithNonce } from '../../static/js/urna/elgamal.js';
import {
  branchToJson, proveEqualLogs, proveKnowledge, proveRange, rangeProofToJson,
} from '../../static/js/urna/proofs.js';
import { deriveCredential, generateCode } from '../../static/js/urna/credentials.js';
import { encryptBallot, signBallot, signedMessage } from '../../static/js/urna/ballot.js';
import { canonicalJson } from '../../static/js/urna/jcs.js';
import { sha256 } from '../../static/js/urna/ed25519.js';
import {
  bckPoint, choiceLabels, confirmationPoint, deriveVoterSecret, optionPoint, proveConfirmation,
  provePartialCode, returnCodeQuestions, voterPublic,
} from '../../static/js/urna/returncodes.js';

/** @param {(n: number) => Uint8Array} rng */
function generateKeypair(rng) {
  const secret = randomScalar(rng);
  return { secret, public: baseTimes(secret) };
}

export function transcriptVectors() {
  const cases = [
    ['urna/v1/test', []],
    ['urna/v1/test', [new Uint8Array(0)]],
    ['urna/v1/test', [utf8('abc'), Uint8Array.of(0, 1)]],
    ['urna/v1/range', [Uint8Array.from({ length: 32 }, (_, i) => i), utf8('x'.repeat(100))]],
  ];
  return {
    description: 'hash_to_scalar: SHA-512(lp(tag) ‖ lp(part)…) mod L, little-endian',
    cases: cases.map(([tag, parts]) => ({
      tag, parts: parts.map(hex), scalar: scalarToHex(hashToScalar(tag, parts)),
    })),
  };
}

export function groupVectors() {
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const scalars = [1n, 2n, 3n, 255n, 2n ** 128n + 7n, 2n ** 252n].map((n) => n % L);
  const rng = deterministicRng('urna/v1/vectors/group');
  const randomScalars = [0, 1, 2].map(() => randomScalar(rng));
  return {
    description: 's·G for the standard base point; random scalars drawn as in docs/spec.md',
    base_multiples: scalars.map((n) => ({ scalar: scalarToHex(n), point: pointToHex(baseTimes(n)) })),
    random_scalars_seed: 'urna/v1/vectors/group',
    random_scalars: randomScalars.map(scalarToHex),
  };
}

export function elgamalVectors() {
  const rng = deterministicRng('urna/v1/vectors/elgamal');
  const key = generateKeypair(rng);
  const cases = [0, 1, 7].map((m) => {
    const nonce = randomScalar(rng);
    return { m, nonce: scalarToHex(nonce), ciphertext: ciphertextToJson(encryptWithNonce(m, key.public, nonce)) };
  });
  return {
    description: 'Enc(m; r) = (r·G, m·G + r·h)',
    secret: scalarToHex(key.secret),
    public: pointToHex(key.public),
    cases,
  };
}

export function proofVectors() {
  const rng = deterministicRng('urna/v1/vectors/proofs');
  const key = generateKeypair(rng);
  const context = [utf8('urna vectors'), new Uint8Array(32)];
  const schnorr = proveKnowledge(key.secret, key.public, context, rng);
  const alpha = baseTimes(randomScalar(rng));
  const share = times(alpha, key.secret);
  const cp = proveEqualLogs(key.secret, { base: alpha, publicKey: key.public, result: share, context }, rng);
  const nonce = randomScalar(rng);
  const ct = encryptWithNonce(2, key.public, nonce);
  const rp = proveRange(ct, { value: 2, nonce, publicKey: key.public, lo: 1, hi: 3, context }, rng);
  return {
    description: 'Proofs made with the deterministic rng seeded as below',
    seed: 'urna/v1/vectors/proofs',
    context: context.map(hex),
    secret: scalarToHex(key.secret),
    public: pointToHex(key.public),
    schnorr: branchToJson(schnorr),
    chaum_pedersen: { base: pointToHex(alpha), result: pointToHex(share), proof: branchToJson(cp) },
    range: {
      lo: 1, hi: 3, value: 2, nonce: scalarToHex(nonce),
      ciphertext: ciphertextToJson(ct), proof: rangeProofToJson(rp),
    },
  };
}

export function credentialVectors() {
  const rng = deterministicRng('urna/v1/vectors/credentials');
  const cases = ['2026-03-08-ch', '2026-06-14-ch'].map((voteDay) => {
    const code = generateCode(rng);
    return { code, vote_day: voteDay, public_key: hex(deriveCredential(code, voteDay).publicKey) };
  });
  return { description: 'voting codes and their credential public keys', cases };
}

export function ballotVectors() {
  const rng = deterministicRng('urna/v1/vectors/ballot');
  const key = generateKeypair(rng);
  const manifest = { vote_day: '2026-03-08-ch', questions: ['federal-1', 'canton-zh-1', 'commune-261-1'] };
  const manifestHash = sha256(canonicalJson(manifest));
  const election = { voteDay: '2026-03-08-ch', manifestHash, publicKey: key.public };
  const questions = [
    { id: 'federal-1', options: 2, min: 0, max: 1 },
    { id: 'canton-zh-1', options: 2, min: 0, max: 1 },
    { id: 'commune-261-1', options: 3, min: 1, max: 2 },
  ];
  const code = generateCode(rng);
  const credential = deriveCredential(code, election.voteDay);
  const selections = { 'federal-1': [1, 0], 'canton-zh-1': [0, 0], 'commune-261-1': [1, 0, 1] };
  const { ballot, secrets } = encryptBallot(selections, questions, election, credential, rng);
  const { signature: _, ...unsigned } = ballot;
  return {
    description: 'a whole ballot: everything after the key and the code is drawn from rng',
    seed: 'urna/v1/vectors/ballot',
    election: {
      vote_day: election.voteDay,
      manifest,
      manifest_hash: hex(manifestHash),
      secret: scalarToHex(key.secret),
      public_key: pointToHex(key.public),
    },
    questions,
    code,
    selections,
    signed_message: hex(signedMessage(unsigned)),
    audit_signed_message: hex(signedMessage(unsigned, 'audit')),
    audit_signature: signBallot(unsigned, credential, 'audit').signature,
    ballot,
    secrets,
  };
}

/** tests/vectors/build_returncodes_device.py: the device's side of return codes. */
export function returncodeDeviceVectors() {
  const seed = 'urna/v1/vectors/returncodes-device';
  const rng = deterministicRng(seed);
  const key = generateKeypair(rng);
  const voteDay = '2026-03-08-ch';
  const election = { voteDay, manifestHash: Uint8Array.from({ length: 32 }, (_, i) => i), publicKey: key.public };
  const questions = [
    { id: 'federal-1', options: 2, min: 0, max: 1 },
    { id: 'federal-2', options: 3, min: 1, max: 1 },
    { id: 'canton-zh-1', options: 3, min: 0, max: 2 },
  ];
  const selections = { 'federal-1': [0, 0], 'federal-2': [0, 0, 1], 'canton-zh-1': [0, 1, 1] };
  const bck = '374316946';
  const code = generateCode(rng);
  const credential = deriveCredential(code, voteDay);
  const x = deriveVoterSecret(code, voteDay);
  const { ballot, secrets } = encryptBallot(selections, questions, election, credential, rng);
  const coded = returnCodeQuestions(questions);
  const partialCodes = coded.map((q) => provePartialCode(ballot, secrets, q, election, x, rng));
  const confirm = proveConfirmation(x, bck, voteDay, credential.publicKey, rng);
  const points = {};
  for (const q of coded) {
    points[q.id] = Object.fromEntries(choiceLabels(q).map((o) => [o, pointToHex(optionPoint(voteDay, q.id, o))]));
  }
  return {
    description: "the device's side of return codes: x_c, points, partial codes, pBCK",
    seed,
    election: { vote_day: voteDay, manifest_hash: hex(election.manifestHash), public_key: pointToHex(key.public) },
    questions,
    code,
    credential: hex(credential.publicKey),
    voter: { secret: scalarToHex(x), voter_key: pointToHex(voterPublic(x)) },
    points,
    selections,
    ballot,
    secrets,
    partial_codes: partialCodes,
    bck,
    bck_point: pointToHex(bckPoint(voteDay, bck)),
    confirm: {
      ...confirm,
      confirmation_point: pointToHex(confirmationPoint(voteDay, credential.publicKey, unhexPoint(confirm.pbck))),
    },
  };
}

export const BUILDERS = {
  transcript: transcriptVectors,
  group: groupVectors,
  elgamal: elgamalVectors,
  proofs: proofVectors,
  credentials: credentialVectors,
  ballot: ballotVectors,
  returncodes_device: returncodeDeviceVectors,
};

/** json.dumps(data, indent=2, ensure_ascii=False) + "\n" */
export function render(data) {
  return `${JSON.stringify(data, null, 2)}\n`;
}
