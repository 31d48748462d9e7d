/**
 * "Check my receipt" (templates/citizen/check.html): verifies on this device
 * that a ballot is in the public log. It fetches the latest (cosigned)
 * checkpoint and checks the log's Ed25519 signature with the key of the
 * manifest, then the RFC 9162 inclusion proof of the ballot's leaf; with a
 * receipt file, also the consistency of the log since the receipt's own
 * checkpoint (crypto/receipt.py, docs/log.md). Witness cosignature lines are
 * counted; the command-line verifier checks their BLS signatures. Last, it
 * says whether the ballot is the one counted for its voting code, or an
 * audited ballot that is never counted (the server's answer, which the
 * record verifier proves).
 * @module
 */
import { parseReceipt, parseTrackingCode, trackingCode, verifyReceipt } from '../urna/receipt.js';
import { parseNote, parseVerifierKey, verifyCheckpoint } from '../urna/note.js';
import { verifyInclusion } from '../urna/merkle.js';
import { hex, unhex } from '../urna/bytes.js';

const form = /** @type {HTMLFormElement} */ (document.getElementById('check-form'));
const result = /** @type {HTMLElement} */ (document.getElementById('check-result'));
const codeInput = /** @type {HTMLInputElement} */ (document.getElementById('tracking'));
const fileInput = /** @type {HTMLInputElement} */ (document.getElementById('receipt-file'));

function message(key, values = {}) {
  const el = document.querySelector(`#messages [data-key="${key}"]`);
  let text = el ? el.textContent.trim() : key;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

/** A message already in the page's language: shown as it is. */
class Shown extends Error {}

/**
 * Show lines; the first takes `className` (ok, error, notice), the rest are
 * details. A technical reason (in English, from the checking code) is folded.
 */
function say(lines, className, technical = '') {
  const paragraphs = lines.map((line, i) => {
    const p = document.createElement('p');
    p.textContent = line;
    p.className = i === 0 ? className : 'detail';
    return p;
  });
  if (technical) {
    const details = document.createElement('details');
    const summary = document.createElement('summary');
    summary.textContent = message('technical');
    const reason = document.createElement('p');
    reason.lang = 'en';
    reason.textContent = technical;
    details.append(summary, reason);
    paragraphs.push(details);
  }
  result.replaceChildren(...paragraphs);
  result.focus();
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The page's own words for what is wrong with a typed tracking code (as parseTrackingCode reads it). */
function codeProblem(typed) {
  const text = typed.replace(/\s|-/g, '').toUpperCase().replace(/[018]/g, (d) => ({ 0: 'O', 1: 'I', 8: 'B' })[d]);
  const wrong = [...text].find((ch) => !BASE32.includes(ch));
  if (wrong !== undefined) return message('code-character', { char: wrong });
  if (text.length !== 52) return message('code-length', { count: text.length });
  return message('code-last');
}

function fieldError(text) {
  const error = document.getElementById('tracking-error');
  error.textContent = text;
  error.hidden = !text;
  if (text) codeInput.setAttribute('aria-invalid', 'true');
  else codeInput.removeAttribute('aria-invalid');
}

async function fetchFrom(url, accept) {
  let response;
  try {
    response = await fetch(url, { credentials: 'omit', headers: { Accept: accept } });
  } catch {
    throw new Shown(message('network'));
  }
  return response;
}

/** The receipt of the chosen file (null without one). */
async function receiptFromFile() {
  const file = fileInput.files?.[0];
  if (!file) return null;
  const json = JSON.parse(await file.text());
  parseReceipt(json);
  return json;
}

async function check(event) {
  event.preventDefault();
  fieldError('');
  let receipt = null;
  let leaf;
  try {
    receipt = await receiptFromFile();
  } catch (err) {
    say([message('file-invalid')], 'error', err.message);
    return;
  }
  try {
    if (receipt !== null) leaf = unhex(receipt.leaf_hash, 32, 'leaf_hash');
    else if (!codeInput.value.trim()) return fieldError(message('code-needed'));
    else leaf = parseTrackingCode(codeInput.value);
  } catch {
    codeInput.focus();
    return fieldError(codeProblem(codeInput.value));
  }
  say([message('checking')], 'status');
  try {
    const { headline, kind, lines } = await verify(leaf, receipt);
    say([headline, ...lines], kind);
  } catch (err) {
    if (err instanceof Shown) say([err.message], 'error');
    else say([message('failed')], 'error', err.message);
  }
}

/**
 * Verify the leaf against the latest checkpoint.
 * @returns {Promise<{headline: string, kind: string, lines: string[]}>} what to show: a
 *   headline in plain words (counted, audited, superseded) and the details of the check
 */
async function verify(leaf, receipt) {
  const base = form.dataset.logUrl;
  const key = parseVerifierKey(form.dataset.logKey);
  const note = await (await fetchFrom(`${base}/checkpoint`, 'text/plain')).text();
  const checkpoint = verifyCheckpoint(note, key); // (1) the log's signature
  const size = Number(checkpoint.size);
  const response = await fetchFrom(`${base}/proof/inclusion?leaf_hash=${hex(leaf)}&size=${size}`, 'application/json');
  if (response.status === 404 || response.status === 400) throw new Shown(message('not-found'));
  if (!response.ok) throw new Error(`HTTP ${response.status}`); // technical: shown folded
  const body = await response.json();
  const proof = body.proof.map((h) => unhex(h, 32, 'proof hash'));
  verifyInclusion(leaf, body.index, size, proof, checkpoint.rootHash); // (2) the ballot is in it
  const lines = [message('verified', { code: trackingCode(leaf), index: body.index, size })];
  if (receipt?.checkpoint) { // (3) the log only grew since the receipt's checkpoint
    const own = verifyCheckpoint(receipt.checkpoint, key);
    const consistency = await (await fetchFrom(`${base}/proof/consistency?old=${own.size}&new=${size}`, 'application/json')).json();
    verifyReceipt(receipt, note, key, { consistencyProof: consistency.proof.map((h) => unhex(h, 32, 'proof hash')) });
    lines.push(message('consistent', { size: own.size }));
  }
  const witnessLines = parseNote(note).signatures.filter((s) => s.name !== key.name).length;
  if (witnessLines) lines.push(message('witnesses', { count: witnessLines }));
  const ballot = await standing(leaf);
  if (!ballot) return { headline: message('headline-found'), kind: 'ok', lines };
  lines.push(message('standing-source'));
  if (ballot.kind === 'spoiled') {
    return { headline: message('headline-audited'), kind: 'notice', lines: [message('audited'), ...lines] };
  }
  if (!ballot.counted) {
    const why = message('superseded', { index: ballot.counted_index });
    return { headline: message('headline-superseded'), kind: 'error', lines: [why, ...lines] };
  }
  return { headline: message('headline-counted'), kind: 'ok', lines };
}

/** Whether the ballot counts: counted, superseded by another, or audited (never counted). */
async function standing(leaf) {
  const url = form.dataset.receiptUrl.replace('CODE', hex(leaf));
  const response = await fetchFrom(url, 'application/json');
  if (!response.ok) return null;
  return (await response.json()).ballot ?? null;
}

form.addEventListener('submit', check);
if (codeInput.value) form.requestSubmit();
