/**
 * The exceptions of the browser crypto, named as in crypto/errors.py.
 *
 * Every verifier returns undefined when the object is valid and throws a
 * VerificationError (or an InvalidEncoding for malformed input) when it is
 * not. Messages say what was expected and what was found, never secrets.
 * @module
 */

/** Base class of every error thrown by the urna modules. */
export class CryptoError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bytes that do not encode a valid point, scalar or object. */
export class InvalidEncoding extends CryptoError {}

/** A ballot whose structure does not match its vote day's questions. */
export class MalformedBallot extends InvalidEncoding {}

/** Text that is not a well-formed signed note, verifier key or checkpoint. */
export class MalformedNote extends InvalidEncoding {}

/** A prover was asked to prove a false statement (e.g. a value out of range). */
export class ProofRefused extends CryptoError {}

/** A check of a proof, signature or log structure failed. */
export class VerificationError extends CryptoError {}

/** A zero-knowledge proof does not verify. */
export class InvalidProof extends VerificationError {}

/** A signature does not verify. */
export class InvalidSignature extends VerificationError {}

/** A Merkle inclusion proof does not verify. */
export class InvalidInclusionProof extends VerificationError {}

/** A Merkle consistency proof does not verify. */
export class InvalidConsistencyProof extends VerificationError {}

/** A ballot receipt is malformed or does not match the log's checkpoints. */
export class InvalidReceipt extends VerificationError {}
