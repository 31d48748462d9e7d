// Reference proof generation (RFC 9162 2.1.3.1 and 2.1.4.1) for the node tests,
// and a test log that signs checkpoints with a fixed Ed25519 seed.
import { leafHash, nodeHash, rootHash } from '../../static/js/urna/merkle.js';
import { ed25519 } from '../../static/js/urna/ed25519.js';
import { concat, utf8 } from '../../static/js/urna/bytes.js';
import { b64encode, formatVerifierKey, keyId } from '../../static/js/urna/note.js';

const split = (n) => 2 ** Math.floor(Math.log2(n - 1));

/** PATH(m, D[n]) over leaf hashes. */
export function inclusionProof(leaves, m) {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  if (m < k) return [...inclusionProof(leaves.slice(0, k), m), rootHash(leaves.slice(k))];
  return [...inclusionProof(leaves.slice(k), m - k), rootHash(leaves.slice(0, k))];
}

/** PROOF(m, D[n]) over leaf hashes. */
export function consistencyProof(leaves, m) {
  const sub = (d, m2, complete) => {
    const n = d.length;
    if (m2 === n) return complete ? [] : [rootHash(d)];
    const k = split(n);
    if (m2 <= k) return [...sub(d.slice(0, k), m2, complete), rootHash(d.slice(k))];
    return [...sub(d.slice(k), m2 - k, false), rootHash(d.slice(0, k))];
  };
  return m === 0 || m === leaves.length ? [] : sub(leaves, m, true);
}

/** n leaf hashes of distinct entries. */
export function leaves(n, tag = 'entry') {
  return Array.from({ length: n }, (_, i) => leafHash(utf8(`${tag} ${i}`)));
}

/** A log signing checkpoints under `origin` with a fixed seed. */
export function testLog(origin, seed = Uint8Array.from({ length: 32 }, (_, i) => i)) {
  const publicKey = ed25519.getPublicKey(seed);
  const key = { name: origin, keyId: keyId(origin, 1, publicKey), publicKey };
  const signText = (text, name = origin, id = key.keyId, s = seed) =>
    `\u2014 ${name} ${b64encode(concat(id, ed25519.sign(utf8(text), s)))}\n`;
  return {
    key,
    verifierKey: formatVerifierKey(key),
    signText,
    checkpoint(size, root, extra = '') {
      const text = `${origin}\n${size}\n${b64encode(root)}\n${extra}`;
      return `${text}\n${signText(text)}`;
    },
  };
}

export { nodeHash };
