/**
 * C2SP signed notes (c2sp.org/signed-note) and tlog checkpoints
 * (c2sp.org/tlog-checkpoint), verification side, mirroring crypto/note.py.
 *
 * A signed note is a text ending in a newline, a blank line, and signature
 * lines "— <key name> <base64(key ID ‖ signature)>". The log signs with
 * Ed25519 (type 0x01); key ID = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4];
 * its verifier key is written name+<hex key ID>+<base64(0x01 ‖ public key)>.
 * Signatures by unknown keys are ignored; a failing signature by the known
 * key rejects the note, and so does the absence of any.
 * @module
 */
import { InvalidEncoding, InvalidSignature, MalformedNote } from './errors.js';
import { checkPublicKey, isValidSignature, sha256 } from './ed25519.js';
import { concat, equalBytes, hex, unhex, utf8 } from './bytes.js';

export const ED25519_TYPE = 0x01;
export const SIGNATURE_PREFIX = '\u2014 ';
export const MAX_SIGNATURES = 256;
export const MAX_NOTE_CHARS = 1 << 20;
const UINT64_MAX = (1n << 64n) - 1n;

/** @typedef {{name: string, keyId: Uint8Array, publicKey: Uint8Array}} VerifierKey */
/** @typedef {{name: string, keyId: Uint8Array, signature: Uint8Array}} NoteSignature */
/** @typedef {{text: string, signatures: NoteSignature[]}} Note */
/** @typedef {{origin: string, size: bigint, rootHash: Uint8Array, extensions: string[]}} Checkpoint */

/**
 * The 4-byte key ID: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4].
 * @param {string} name @param {number} type @param {Uint8Array} publicKey
 * @returns {Uint8Array}
 */
export function keyId(name, type, publicKey) {
  checkName(name);
  return sha256(concat(utf8(name), Uint8Array.of(0x0a, type), publicKey)).slice(0, 4);
}

/** @param {unknown} name */
function checkName(name) {
  if (typeof name !== 'string' || !name) throw new MalformedNote('a key name must be a non-empty string');
  if (/[\s+]/u.test(name) || hasControl(name)) {
    throw new MalformedNote(`key name ${JSON.stringify(name)} contains a space, '+' or a control character`);
  }
}

/** @param {string} text @returns {boolean} a control character other than newline */
function hasControl(text) {
  return /[\x00-\x09\x0b-\x1f]/.test(text);
}

/**
 * Decode standard, canonical base64.
 * @param {string} text @param {string} what
 * @returns {Uint8Array}
 */
export function b64decode(text, what) {
  let binary;
  try {
    binary = /^[A-Za-z0-9+/]*={0,2}$/.test(text) ? atob(text) : null;
  } catch {
    binary = null;
  }
  if (binary === null) throw new MalformedNote(`${what} is not standard base64`);
  const raw = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  if (b64encode(raw) !== text) throw new MalformedNote(`${what} is not canonical base64`);
  return raw;
}

/** @param {Uint8Array} bytes @returns {string} standard base64 with padding */
export function b64encode(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * Parse a verifier key name+<8 hex digits>+<base64(0x01 ‖ public key)>.
 * @param {unknown} text
 * @returns {VerifierKey}
 */
export function parseVerifierKey(text) {
  const parts = typeof text === 'string' ? splitN(text, '+', 3) : [];
  if (parts.length !== 3 || parts[1].length !== 8 || parts[1] !== parts[1].toLowerCase()) {
    throw new MalformedNote('a verifier key has the form name+<8 hex digits>+<base64 key>');
  }
  const [name, hexId, encoded] = parts;
  const claimed = unhex(hexId, 4, 'verifier key ID', MalformedNote);
  const raw = b64decode(encoded, 'verifier key');
  if (raw.length !== 33 || raw[0] !== ED25519_TYPE) {
    throw new MalformedNote('verifier key must be type 0x01 (Ed25519) and a 32-byte key');
  }
  const publicKey = raw.slice(1);
  try {
    checkPublicKey(publicKey, "the log's public key");
  } catch (err) {
    if (err instanceof InvalidEncoding) {
      throw new MalformedNote(`verifier key is not a valid Ed25519 public key: ${err.message}`);
    }
    throw err;
  }
  const key = { name, keyId: keyId(name, ED25519_TYPE, publicKey), publicKey };
  if (!equalBytes(key.keyId, claimed)) throw new MalformedNote(`verifier key ID ${hexId} does not match its key`);
  return key;
}

/** @param {VerifierKey} key @returns {string} */
export function formatVerifierKey(key) {
  return `${key.name}+${hex(key.keyId)}+${b64encode(concat(Uint8Array.of(ED25519_TYPE), key.publicKey))}`;
}

/** Python's str.split(sep, n - 1). @param {string} s @param {string} sep @param {number} n */
function splitN(s, sep, n) {
  const parts = s.split(sep);
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

/** @param {unknown} text */
function checkText(text) {
  if (typeof text !== 'string' || !text.endsWith('\n')) {
    throw new MalformedNote('a note text must be a string ending in a newline');
  }
  if (hasControl(text)) throw new MalformedNote('a note must not contain control characters other than newline');
}

/** @param {string} line @returns {NoteSignature} */
function parseSignatureLine(line) {
  if (!line.startsWith(SIGNATURE_PREFIX)) {
    throw new MalformedNote(`signature line does not start with an em dash and space: ${JSON.stringify(line)}`);
  }
  const fields = line.slice(SIGNATURE_PREFIX.length).split(' ');
  if (fields.length !== 2) throw new MalformedNote(`signature line must be '— <name> <base64>': ${JSON.stringify(line)}`);
  const [name, blob] = fields;
  checkName(name);
  const raw = b64decode(blob, `signature of ${name}`);
  if (raw.length < 5) throw new MalformedNote(`signature of ${name} is too short`);
  return { name, keyId: raw.slice(0, 4), signature: raw.slice(4) };
}

/**
 * Split a signed note into its text and its (unverified) signatures.
 * @param {string | Uint8Array} note
 * @returns {Note}
 */
export function parseNote(note) {
  let text = note;
  if (text instanceof Uint8Array) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(text);
    } catch {
      throw new MalformedNote('a note must be valid UTF-8');
    }
  }
  if (typeof text !== 'string' || [...text].length > MAX_NOTE_CHARS) {
    throw new MalformedNote(`a note must be a string of at most ${MAX_NOTE_CHARS} characters`);
  }
  checkText(text);
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw new MalformedNote('a note needs a blank line between its text and its signatures');
  const lines = text.slice(split + 2).split('\n').slice(0, -1);
  if (!lines.length) throw new MalformedNote('a note needs at least one signature line');
  if (lines.length > MAX_SIGNATURES) throw new MalformedNote(`a note may carry at most ${MAX_SIGNATURES} signatures`);
  return { text: text.slice(0, split + 1), signatures: lines.map(parseSignatureLine) };
}

/**
 * Check that `key` signed the note; return the parsed note.
 * @param {string | Uint8Array} note
 * @param {VerifierKey} key
 * @returns {Note}
 * @throws {MalformedNote | InvalidSignature}
 */
export function verifyNote(note, key) {
  const parsed = parseNote(note);
  const message = utf8(parsed.text);
  let found = 0;
  for (const sig of parsed.signatures) {
    if (sig.name !== key.name || !equalBytes(sig.keyId, key.keyId)) continue; // unknown key: ignored
    if (!isValidSignature(sig.signature, message, key.publicKey)) {
      throw new InvalidSignature(`the signature of ${key.name} on the note is invalid`);
    }
    found += 1;
  }
  if (!found) throw new InvalidSignature(`the note carries no signature by ${key.name}+${hex(key.keyId)}`);
  return parsed;
}

/**
 * Parse a checkpoint body: origin, decimal size, base64 root, extensions.
 * @param {string} text
 * @returns {Checkpoint}
 */
export function parseCheckpoint(text) {
  checkText(text);
  const lines = text.split('\n').slice(0, -1);
  if (lines.length < 3) throw new MalformedNote('a checkpoint has an origin, a size and a root hash line');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!origin) throw new MalformedNote('checkpoint origin line is empty');
  if (!/^(0|[1-9][0-9]{0,19})$/.test(sizeText)) {
    throw new MalformedNote(`checkpoint size ${JSON.stringify(sizeText)} is not a canonical decimal number`);
  }
  const size = BigInt(sizeText);
  if (size > UINT64_MAX) throw new MalformedNote('checkpoint size does not fit in 64 bits');
  const rootHash = b64decode(rootText, 'checkpoint root hash');
  if (rootHash.length !== 32) throw new MalformedNote(`checkpoint root hash must be 32 bytes, got ${rootHash.length}`);
  if (extensions.some((line) => !line)) throw new MalformedNote('checkpoint extension lines must not be empty');
  return { origin, size, rootHash, extensions };
}

/**
 * Verify a signed checkpoint by the log key and return it.
 * @param {string | Uint8Array} note
 * @param {VerifierKey | string} key the log's key (object or verifier key text)
 * @returns {Checkpoint}
 * @throws {MalformedNote | InvalidSignature}
 */
export function verifyCheckpoint(note, key) {
  const verifier = typeof key === 'string' ? parseVerifierKey(key) : key;
  const parsed = verifyNote(note, verifier);
  const checkpoint = parseCheckpoint(parsed.text);
  if (checkpoint.origin !== verifier.name) {
    throw new InvalidSignature(
      `checkpoint origin ${JSON.stringify(checkpoint.origin)} is not the log key's name ${JSON.stringify(verifier.name)}`);
  }
  return checkpoint;
}
