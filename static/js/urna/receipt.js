/**
 * Ballot receipts and their check against a (later) signed checkpoint,
 * mirroring crypto/receipt.py. A receipt is the JSON object
 *   {"log": name, "index": n, "leaf_hash": hex, "tracking_code": "ABCD-…",
 *    "checkpoint": signed note or null, "inclusion_proof": [hex, …]}
 * The tracking code is the RFC 4648 base32 form of the leaf hash without
 * padding, in groups of four joined by "-" (13 groups). The inclusion proof
 * is against the receipt's own checkpoint; a later checkpoint is linked to it
 * by a consistency proof (RFC 9162 2.1.4), so a log that dropped or changed
 * the ballot, or forked, is caught.
 * @module
 */
import { InvalidEncoding, InvalidReceipt } from './errors.js';
import { unhex } from './bytes.js';
import { HASH_SIZE, verifyConsistency, verifyInclusion } from './merkle.js';
import { parseVerifierKey, verifyCheckpoint } from './note.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const MAX_PROOF = 64;

/** @typedef {import('./note.js').Checkpoint} Checkpoint */
/**
 * @typedef {object} Receipt
 * @property {string} log
 * @property {number} index
 * @property {Uint8Array} leafHash
 * @property {string | null} checkpoint
 * @property {Uint8Array[]} inclusionProof
 */

/**
 * The leaf hash as base32 groups: "ABCD-EFGH-…".
 * @param {Uint8Array} leafHash
 * @returns {string}
 */
export function trackingCode(leafHash) {
  if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_SIZE) {
    throw new InvalidEncoding(`a leaf hash is ${HASH_SIZE} bytes`);
  }
  let bits = 0;
  let value = 0;
  let text = '';
  for (const byte of leafHash) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      text += BASE32[(value >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits) text += BASE32[(value << (5 - bits)) & 31];
  return text.match(/.{1,4}/g).join('-');
}

/** Digits outside base32, read as the letters they look like (as crypto/receipt.py). */
const LOOK_ALIKES = { 0: 'O', 1: 'I', 8: 'B' };

/**
 * The leaf hash of a tracking code (case, whitespace and dashes ignored; 0, 1
 * and 8 are read as O, I and B).
 * @param {unknown} code
 * @returns {Uint8Array}
 */
export function parseTrackingCode(code) {
  if (typeof code !== 'string') throw new InvalidEncoding('a tracking code is a string');
  const text = code.replace(/\s|-/g, '').toUpperCase().replace(/[018]/g, (d) => LOOK_ALIKES[d]);
  if (text.length !== 52) throw new InvalidEncoding(`a tracking code has 52 base32 characters, got ${text.length}`);
  if (![...text].every((ch) => BASE32.includes(ch))) {
    throw new InvalidEncoding('a tracking code uses only the letters A-Z and digits 2-7');
  }
  const out = new Uint8Array(HASH_SIZE);
  let bits = 0;
  let value = 0;
  let i = 0;
  for (const ch of text) {
    value = ((value << 5) | BASE32.indexOf(ch)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      out[i++] = (value >> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  if (trackingCode(out).replaceAll('-', '') !== text) throw new InvalidEncoding('the last character of the tracking code is wrong (a typing error)');
  return out;
}

/**
 * Parse a receipt's JSON object (form only; nothing verified yet).
 * @param {unknown} obj
 * @returns {Receipt}
 */
export function parseReceipt(obj) {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new InvalidReceipt('a receipt is a JSON object');
  const r = /** @type {Record<string, unknown>} */ (obj);
  if (typeof r.log !== 'string' || !r.log) throw new InvalidReceipt("receipt field 'log' must be a non-empty string");
  if (!Number.isSafeInteger(r.index) || /** @type {number} */ (r.index) < 0) {
    throw new InvalidReceipt("receipt field 'index' must be a non-negative integer");
  }
  const leafHash = unhex(r.leaf_hash, HASH_SIZE, "receipt field 'leaf_hash'", InvalidReceipt);
  if (r.tracking_code !== trackingCode(leafHash)) throw new InvalidReceipt("the receipt's tracking code is not its leaf hash");
  const checkpoint = r.checkpoint ?? null;
  if (checkpoint !== null && typeof checkpoint !== 'string') {
    throw new InvalidReceipt("receipt field 'checkpoint' must be a signed note or null");
  }
  const proof = r.inclusion_proof ?? [];
  if (!Array.isArray(proof) || proof.length > MAX_PROOF) {
    throw new InvalidReceipt("receipt field 'inclusion_proof' must be a list of hashes");
  }
  const inclusionProof = proof.map((h) => unhex(h, HASH_SIZE, 'an inclusion proof hash', InvalidReceipt));
  return { log: r.log, index: /** @type {number} */ (r.index), leafHash, checkpoint, inclusionProof };
}

/**
 * Check that the receipt's leaf is in the log whose (later) checkpoint is given.
 * @param {unknown} receiptJson the receipt JSON object
 * @param {string} checkpointNote a signed checkpoint at least as new as the receipt's
 * @param {string | import('./note.js').VerifierKey} verifierKey the log's key, obtained
 *   independently of the server
 * @param {{consistencyProof?: Uint8Array[], inclusionProof?: Uint8Array[]}} [options]
 *   consistencyProof from the receipt's checkpoint to the later one (empty when
 *   the sizes are equal); inclusionProof against checkpointNote, needed only
 *   when the receipt has no checkpoint yet
 * @returns {Checkpoint} the verified later checkpoint
 * @throws {InvalidReceipt | import('./errors.js').InvalidSignature | import('./errors.js').MalformedNote |
 *   import('./errors.js').InvalidInclusionProof | import('./errors.js').InvalidConsistencyProof}
 */
export function verifyReceipt(receiptJson, checkpointNote, verifierKey, options = {}) {
  const receipt = parseReceipt(receiptJson);
  const key = typeof verifierKey === 'string' ? parseVerifierKey(verifierKey) : verifierKey;
  const later = verifyCheckpoint(checkpointNote, key);
  if (receipt.checkpoint === null) {
    if (options.inclusionProof === undefined) {
      throw new InvalidReceipt('the receipt has no checkpoint: an inclusion proof is needed');
    }
    verifyInclusion(receipt.leafHash, receipt.index, treeSize(later), options.inclusionProof, later.rootHash);
    return later;
  }
  const own = verifyCheckpoint(receipt.checkpoint, key);
  // (1) the leaf is in the receipt's own checkpoint
  verifyInclusion(receipt.leafHash, receipt.index, treeSize(own), receipt.inclusionProof, own.rootHash);
  // (2) the later checkpoint extends it (equal sizes: equal roots)
  if (later.size < own.size) {
    throw new InvalidReceipt(`the checkpoint given (size ${later.size}) is older than the receipt's (${own.size})`);
  }
  verifyConsistency(treeSize(own), treeSize(later), options.consistencyProof ?? [], own.rootHash, later.rootHash);
  return later;
}

/** @param {Checkpoint} checkpoint @returns {number} */
function treeSize(checkpoint) {
  if (checkpoint.size > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidReceipt(`checkpoint size ${checkpoint.size} is beyond what this verifier handles`);
  }
  return Number(checkpoint.size);
}

