/**
 * Merkle tree hashes and proof verification, RFC 9162 section 2.1,
 * mirroring crypto/merkle.py: leaf = SHA-256(0x00 ‖ data), node =
 * SHA-256(0x01 ‖ left ‖ right), the empty tree's root SHA-256("").
 * Indexes and sizes are numbers (safe integers); the bit arithmetic is done
 * on bigints so that trees beyond 2^32 leaves work.
 * @module
 */
import { InvalidConsistencyProof, InvalidInclusionProof } from './errors.js';
import { sha256 } from './ed25519.js';
import { concat, equalBytes, hex, typeName } from './bytes.js';

export const HASH_SIZE = 32;
export const EMPTY_ROOT = sha256(new Uint8Array(0));

/** @param {Uint8Array} data @returns {Uint8Array} MTH of one entry */
export function leafHash(data) {
  return sha256(concat(Uint8Array.of(0), data));
}

/** @param {Uint8Array} left @param {Uint8Array} right @returns {Uint8Array} */
export function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

/**
 * MTH(D[0:n]) of the given leaf hashes, in memory (for tests and small trees).
 * @param {Uint8Array[]} leafHashes
 * @returns {Uint8Array}
 */
export function rootHash(leafHashes) {
  const root = (/** @type {number} */ start, /** @type {number} */ end) => {
    if (end - start === 1) return leafHashes[start];
    const k = 2 ** Math.floor(Math.log2(end - start - 1));
    return nodeHash(root(start, start + k), root(start + k, end));
  };
  return leafHashes.length ? root(0, leafHashes.length) : EMPTY_ROOT;
}

/** @param {bigint} n @returns {number} */
function bitLength(n) {
  return n === 0n ? 0 : n.toString(2).length;
}

/** @param {bigint} n @returns {number} */
function bitCount(n) {
  return [...n.toString(2)].filter((b) => b === '1').length;
}

/**
 * @param {unknown} value @param {string} what
 * @param {new (message: string) => Error} Err
 */
function checkHash(value, what, Err) {
  if (!(value instanceof Uint8Array) || value.length !== HASH_SIZE) {
    const got = value instanceof Uint8Array ? value.length : typeName(value);
    throw new Err(`${what} must be ${HASH_SIZE} bytes, got ${got}`);
  }
}

/**
 * @param {unknown} value @param {string} what
 * @param {new (message: string) => Error} Err
 * @returns {bigint}
 */
function checkCount(value, what, Err) {
  if (!Number.isSafeInteger(value) || /** @type {number} */ (value) < 0) {
    throw new Err(`${what} must be a non-negative integer, got ${String(value)}`);
  }
  return BigInt(/** @type {number} */ (value));
}

/** @param {bigint} index @param {bigint} size @returns {number} */
function inclusionLength(index, size) {
  const inner = bitLength(index ^ (size - 1n));
  return inner + bitCount(index >> BigInt(inner));
}

/**
 * Check that leafHash is leaf `index` of the tree `root` of `size` leaves
 * (RFC 9162 2.1.3.2).
 * @param {Uint8Array} leaf
 * @param {number} index
 * @param {number} size
 * @param {Uint8Array[]} proof
 * @param {Uint8Array} root
 * @throws {InvalidInclusionProof}
 */
export function verifyInclusion(leaf, index, size, proof, root) {
  const fn0 = checkCount(index, 'leaf index', InvalidInclusionProof);
  const n = checkCount(size, 'tree size', InvalidInclusionProof);
  if (fn0 >= n) throw new InvalidInclusionProof(`leaf index ${index} is outside a tree of size ${size}`);
  checkHash(leaf, 'leaf hash', InvalidInclusionProof);
  checkHash(root, 'root hash', InvalidInclusionProof);
  if (!Array.isArray(proof)) throw new InvalidInclusionProof('an inclusion proof is a list of hashes');
  proof.forEach((p, i) => checkHash(p, `proof hash ${i}`, InvalidInclusionProof));
  const expected = inclusionLength(fn0, n);
  if (proof.length !== expected) {
    throw new InvalidInclusionProof(
      `inclusion proof for leaf ${index} of ${size} must have ${expected} hashes, got ${proof.length}`);
  }
  let fn = fn0; // (2) fn = index, sn = size − 1; (3) r = leaf hash
  let sn = n - 1n;
  let r = leaf;
  for (const p of proof) { // (4)
    if (sn === 0n) throw new InvalidInclusionProof('inclusion proof is longer than the path to the root');
    if (fn & 1n || fn === sn) {
      r = nodeHash(p, r);
      while (!(fn & 1n) && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new InvalidInclusionProof('inclusion proof is shorter than the path to the root'); // (5)
  if (!equalBytes(r, root)) {
    throw new InvalidInclusionProof(
      `inclusion proof for leaf ${index} of ${size} leads to root ${hex(r)}, expected ${hex(root)}`);
  }
}

/** @param {bigint} oldSize @param {bigint} newSize @returns {number} */
function consistencyLength(oldSize, newSize) {
  const shift = bitLength(oldSize & -oldSize) - 1;
  const inclusion = inclusionLength(oldSize - 1n, newSize) - shift;
  return inclusion + (oldSize === 1n << BigInt(shift) ? 0 : 1);
}

/**
 * Check that the tree oldRoot of oldSize leaves is a prefix of newRoot
 * (RFC 9162 2.1.4.2). Equal sizes need an empty proof and equal roots; the
 * empty tree is a prefix of every tree.
 * @param {number} oldSize
 * @param {number} newSize
 * @param {Uint8Array[]} proof
 * @param {Uint8Array} oldRoot
 * @param {Uint8Array} newRoot
 * @throws {InvalidConsistencyProof}
 */
export function verifyConsistency(oldSize, newSize, proof, oldRoot, newRoot) {
  const m = checkCount(oldSize, 'old size', InvalidConsistencyProof);
  const n = checkCount(newSize, 'new size', InvalidConsistencyProof);
  if (m > n) throw new InvalidConsistencyProof(`old size ${oldSize} is larger than new size ${newSize}`);
  checkHash(oldRoot, 'old root hash', InvalidConsistencyProof);
  checkHash(newRoot, 'new root hash', InvalidConsistencyProof);
  if (!Array.isArray(proof)) throw new InvalidConsistencyProof('a consistency proof is a list of hashes');
  proof.forEach((p, i) => checkHash(p, `proof hash ${i}`, InvalidConsistencyProof));
  if (m === 0n || m === n) {
    verifyTrivialConsistency(m, n, proof, oldRoot, newRoot);
    return;
  }
  const expected = consistencyLength(m, n);
  if (proof.length !== expected) {
    throw new InvalidConsistencyProof(
      `consistency proof from ${oldSize} to ${newSize} must have ${expected} hashes, got ${proof.length}`);
  }
  const { fr, sr, sn } = chainConsistency(m, n, proof, oldRoot);
  if (sn !== 0n) throw new InvalidConsistencyProof('consistency proof does not reach the new root'); // (7)
  if (!equalBytes(fr, oldRoot)) {
    throw new InvalidConsistencyProof(
      `consistency proof leads to old root ${hex(fr)} at size ${oldSize}, expected ${hex(oldRoot)}`);
  }
  if (!equalBytes(sr, newRoot)) {
    throw new InvalidConsistencyProof(
      `consistency proof leads to new root ${hex(sr)} at size ${newSize}, expected ${hex(newRoot)}`);
  }
}

/**
 * @param {bigint} m @param {bigint} n @param {Uint8Array[]} proof
 * @param {Uint8Array} oldRoot @param {Uint8Array} newRoot
 */
function verifyTrivialConsistency(m, n, proof, oldRoot, newRoot) {
  if (proof.length) {
    throw new InvalidConsistencyProof(`consistency proof from ${m} to ${n} must be empty, got ${proof.length} hashes`);
  }
  if (m === 0n && !equalBytes(oldRoot, EMPTY_ROOT)) {
    throw new InvalidConsistencyProof('the root of the empty tree must be SHA-256 of nothing');
  }
  if (m === n && !equalBytes(oldRoot, newRoot)) {
    throw new InvalidConsistencyProof(
      `two different roots for size ${n}: ${hex(oldRoot)} and ${hex(newRoot)} (a fork)`);
  }
}

/**
 * Steps (2)–(6) of RFC 9162 2.1.4.2.
 * @param {bigint} m @param {bigint} n @param {Uint8Array[]} proof @param {Uint8Array} oldRoot
 */
function chainConsistency(m, n, proof, oldRoot) {
  const path = (m & (m - 1n)) === 0n ? [oldRoot, ...proof] : [...proof]; // (2) a power of two
  let fn = m - 1n; // (3)
  let sn = n - 1n;
  while (fn & 1n) { // (4)
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0]; // (5)
  let sr = path[0];
  for (const c of path.slice(1)) { // (6)
    if (sn === 0n) throw new InvalidConsistencyProof('consistency proof is longer than the path to the root');
    if (fn & 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!(fn & 1n) && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return { fr, sr, sn };
}
