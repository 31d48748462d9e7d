/**
 * The voting page (templates/citizen/vote_day.html): voting code → ballot →
 * review → encryption, proofs and signature on this device → cast, or a
 * Benaloh audit and a fresh encryption (DESIGN.md section 4, docs/spec.md
 * sections 6 and 7).
 *
 * The voting code (typed, or from the card's QR link `#code=…`) never leaves
 * the device: the credential is derived here and the server is asked for the
 * ballot form with the credential's public key only, and in the page's
 * language (`?lang=`: the request carries no cookie). A code that already
 * voted gets the receipt of its ballot instead of a ballot. All texts come
 * from the page (`#messages`), so they are in the page's language.
 *
 * On a vote day with return codes (docs/return-codes.md) the ballot goes
 * with the partial choice codes proved here (static/js/urna/returncodes.js);
 * the page then lists each answer with the choice code the server returned,
 * to compare with the card, takes the ballot casting key and shows the vote
 * cast code. Until confirmed the ballot is not counted, and the page says so.
 * A citizen who comes back to a ballot cast but not confirmed is shown its
 * choice codes again (as the server holds them: no authority is asked) with
 * the tries left, or its vote cast code once confirmed ("Coming back").
 * @module
 */
import { readCode } from './code_entry.js';
import { encryptUnsigned, parseElection, signBallot, verifyAudit } from '../urna/ballot.js';
import { hex } from '../urna/bytes.js';
import { sha256 } from '../urna/ed25519.js';
import { canonicalJson } from '../urna/jcs.js';
import {
  bckProblem, deriveVoterSecret, normaliseBck, proveConfirmation, provePartialCode, returnCodeQuestions,
  statusMessage,
} from '../urna/returncodes.js';

const root = document.getElementById('vote');
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const STEPS = ['ballot-area', 'review', 'sealed', 'audit-area', 'codes-area', 'confirmed-area'];

/**
 * @type {{credential: any, election: any, questions: any[], selections: any, sealed: any,
 *   returnCodes: boolean, voterSecret: bigint | null, partialCodes: object[] | null, trackingCode: string,
 *   resumed: boolean}}
 */
const state = {
  credential: null, election: null, questions: [], selections: null, sealed: null,
  returnCodes: false, voterSecret: null, partialCodes: null, trackingCode: '', resumed: false,
};

/** A message of the page in its language, with `{name}` placeholders filled. */
function message(key, values = {}) {
  const el = root.querySelector(`#messages [data-key="${key}"]`);
  let text = el ? el.textContent.trim() : key;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

function setStatus(text) {
  byId('status').textContent = text;
}

function setAlert(text) {
  byId('alert').textContent = text;
}

/** Show one step (or none), focus its heading and clear old messages. */
function showStep(id, focus) {
  for (const step of STEPS) byId(step).hidden = step !== id;
  byId('audit-confirm').hidden = true;
  byId('code-form').hidden = id !== null;
  setAlert('');
  if (focus) byId(focus).focus();
}

/** Show (or, with an empty text, clear) the error of a field and mark the field invalid. */
function fieldError(inputId, errorId, text) {
  const error = byId(errorId);
  const input = /** @type {HTMLInputElement} */ (byId(inputId));
  error.textContent = text;
  error.hidden = !text;
  if (text) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    setStatus('');
  } else {
    input.removeAttribute('aria-invalid');
  }
}

const codeError = (text) => fieldError('code', 'code-error', text);
const bckError = (text) => fieldError('bck', 'bck-error', text);

/** The error message for a refused request (answers of the JSON API). */
async function refusal(response) {
  if (response.status === 429) return message('too-many');
  let body = {};
  try {
    body = await response.json();
  } catch {
    // an HTML error page: the status says enough
  }
  if (body.error === 'vote_day_not_open') return message('not-open');
  if (body.error === 'unknown_credential') return message('code-unknown');
  // Any other refusal names its stable code, not the server's English sentence.
  if (body.error) return message('refused', { code: body.error });
  return message('failed', { reason: `HTTP ${response.status}` });
}

async function request(url, options) {
  try {
    return await fetch(url, { credentials: 'omit', ...options });
  } catch {
    throw new Error(message('network'));
  }
}

// (1) the voting code: derive the credential, fetch the ballot of its unit
async function enterCode(raw) {
  codeError('');
  if (!raw.trim()) return codeError(message('code-empty'));
  const read = readCode(raw, root.dataset.voteDay);
  if (!('credential' in read)) return codeError(message(read.problem, read.values));
  const { credential } = read;
  // x_c for the return codes (if the vote day has them): derived here, never sent
  state.voterSecret = deriveVoterSecret(raw, root.dataset.voteDay);
  setStatus(message('loading'));
  let response;
  const lang = encodeURIComponent(document.documentElement.lang);
  try {
    response = await request(`${root.dataset.ballotUrl}?credential=${hex(credential.publicKey)}&lang=${lang}`,
      { headers: { Accept: 'text/html' } });
  } catch (err) {
    return codeError(err.message);
  }
  if (response.status === 403 || response.status === 404) return codeError(message('code-unknown'));
  if (response.status === 429) return codeError(message('too-many'));
  if (response.status === 409) return codeError(message('not-open'));
  if (!response.ok) return codeError(message('failed', { reason: `HTTP ${response.status}` }));
  showBallot(await response.text(), credential);
}

function showBallot(html, credential) {
  const area = byId('ballot-area');
  area.innerHTML = html; // the server's own template, escaped by Jinja
  /** @type {HTMLInputElement} */ (byId('code')).value = '';
  byId('questions').hidden = true; // the ballot has each question with its explanation
  const form = /** @type {HTMLFormElement} */ (area.querySelector('#ballot-form'));
  if (form === null) { // this code already voted: the fragment is that ballot's receipt
    showStep('ballot-area', 'ballot-heading');
    setStatus('');
    if (area.querySelector('#resume-questions')) resume(credential);
    return;
  }
  state.credential = credential;
  state.returnCodes = form.dataset.returnCodes === '1';
  if (!state.returnCodes) state.voterSecret = null;
  state.election = parseElection({
    vote_day: form.dataset.voteDay,
    manifest_hash: form.dataset.manifestHash,
    public_key: form.dataset.electionKey,
  });
  state.questions = [...form.querySelectorAll('fieldset[data-question]')].map((fs) => ({
    id: fs.dataset.question,
    options: Number(fs.dataset.options),
    min: Number(fs.dataset.min),
    max: Number(fs.dataset.max),
  }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    review(form);
  });
  showStep('ballot-area', 'ballot-heading');
  setStatus(message('ballot-ready'));
}

// (2) the choices: check the number of selections, then show them for review
function fieldsetOf(id) {
  return /** @type {HTMLFieldSetElement} */ (byId('ballot-area').querySelector(`fieldset[data-question="${id}"]`));
}

function chosenLabels(fieldset, chosen) {
  const labels = chosen.flatMap((value, i) =>
    value ? [fieldset.querySelector(`label[for="${fieldset.id}-${i}"]`).textContent.trim()] : []);
  return labels.length ? labels : [message('blank')];
}

function readSelections() {
  const selections = {};
  let firstInvalid = null;
  for (const q of state.questions) {
    const fieldset = fieldsetOf(q.id);
    const chosen = new Array(q.options).fill(0);
    for (const input of fieldset.querySelectorAll('input:checked')) {
      if (input.value !== 'blank') chosen[Number(input.value)] = 1;
    }
    const total = chosen.reduce((a, b) => a + b, 0);
    const error = byId(`error-${q.id}`);
    const problem = total < q.min ? message('too-few', { min: q.min })
      : total > q.max ? message('too-many-choices', { max: q.max }) : '';
    error.textContent = problem;
    error.hidden = !problem;
    fieldset.classList.toggle('invalid', Boolean(problem));
    if (problem && !firstInvalid) firstInvalid = fieldset;
    selections[q.id] = chosen;
  }
  return { selections, firstInvalid };
}

function review() {
  const { selections, firstInvalid } = readSelections();
  if (firstInvalid) {
    setAlert(message('fix-errors'));
    /** @type {HTMLElement} */ (firstInvalid.querySelector('input')).focus();
    return;
  }
  state.selections = selections;
  fillChoices(byId('review-list'), selections);
  showStep('review', 'review-heading');
  setStatus('');
  // Before an empty or partly blank ballot goes further: say so, in the review itself.
  const blank = state.questions.filter((q) => !selections[q.id].some(Boolean)).length;
  const warning = byId('review-warning');
  warning.textContent = blank === 0 ? ''
    : blank === state.questions.length ? message('all-blank')
      : message('some-blank', { count: blank, total: state.questions.length });
  warning.hidden = blank === 0;
}

function fillChoices(list, selections) {
  list.replaceChildren();
  for (const q of state.questions) {
    const fieldset = fieldsetOf(q.id);
    const dt = document.createElement('dt');
    dt.textContent = fieldset.querySelector('legend').textContent.trim();
    const dd = document.createElement('dd');
    dd.textContent = chosenLabels(fieldset, selections[q.id]).join(', ');
    if (!selections[q.id].some(Boolean)) dd.className = 'blank';
    list.append(dt, dd);
  }
}

// (3) encryption and proofs, on this device; the signature waits for the voter's choice
async function encrypt() {
  const button = /** @type {HTMLButtonElement} */ (byId('encrypt'));
  button.disabled = true;
  setStatus(message('encrypting'));
  await new Promise((resolve) => setTimeout(resolve, 0)); // let the status show first
  try {
    performance.mark('urna-encrypt-start');
    state.sealed = encryptUnsigned(state.selections, state.questions, state.election, state.credential);
    performance.measure('urna-encrypt-sign', 'urna-encrypt-start');
  } catch (err) {
    setAlert(message('failed', { reason: err.message }));
    return;
  } finally {
    button.disabled = false;
  }
  // The fingerprint commits to the unsigned ballot: the same whether it is then cast or audited.
  const digest = hex(sha256(canonicalJson(state.sealed.unsigned))).slice(0, 24);
  byId('fingerprint').textContent = digest.match(/.{4}/g).join(' ');
  showStep('sealed', 'sealed-heading');
  setStatus(message('encrypted'));
}

async function post(url, body) {
  return request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
}

/** How many times a cast is sent while the server answers 503 (its database is unavailable). */
const CAST_ATTEMPTS = 4;

/**
 * Send the ballot; while the server answers 503, wait (its Retry-After,
 * doubled each time) and send it again, telling the citizen. Sending again is
 * safe: a ballot counts once (docs/operations.md, "Database outage").
 * @returns {Promise<{response: Response, inDoubt: boolean}>} the last answer, and
 *   whether a 503 said the ballot may have been stored
 */
async function sendBallot(ballot) {
  let inDoubt = false;
  for (let attempt = 1; ; attempt += 1) {
    const response = await post(root.dataset.castUrl, ballot);
    if (response.status !== 503) return { response, inDoubt };
    const body = await response.clone().json().catch(() => ({}));
    if (body.error === 'return_code_authorities_unavailable') return { response, inDoubt }; // cast
    if (body.stored === null) inDoubt = true;
    if (attempt >= CAST_ATTEMPTS) return { response, inDoubt };
    const wait = Number(response.headers.get('Retry-After'));
    const seconds = Math.min(60, (wait > 0 ? wait : 2) * 2 ** (attempt - 1));
    setStatus(message('unavailable-retry', { seconds, attempt: attempt + 1, attempts: CAST_ATTEMPTS }));
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
}

// (4a) cast: signed now, to be cast (never the audit form); the receipt page follows
async function cast() {
  const button = /** @type {HTMLButtonElement} */ (byId('cast'));
  button.disabled = true;
  setStatus(message('casting'));
  try {
    const ballot = signBallot(state.sealed.unsigned, state.credential, 'cast');
    if (state.returnCodes) {
      state.partialCodes = returnCodeQuestions(state.questions).map((q) =>
        provePartialCode(ballot, state.sealed.secrets, q, state.election, state.voterSecret));
    }
    const body = state.returnCodes ? { ballot, return_codes: state.partialCodes } : ballot;
    const { response, inDoubt } = await sendBallot(body);
    if (state.returnCodes && await castWithCodes(response)) return;
    if (response.status === 503) {
      setStatus('');
      setAlert(message(inDoubt ? 'unavailable-in-doubt' : 'unavailable'));
      return;
    }
    if (response.status === 201) {
      const receipt = await response.json();
      state.credential = null;
      location.assign(root.dataset.receiptUrl.replace('CODE', receipt.tracking_code));
      return;
    }
    if (response.status === 409) {
      const body = await response.clone().json().catch(() => ({}));
      if (body.error === 'duplicate_ballot' && body.receipt) {
        location.assign(`${root.dataset.receiptUrl.replace('CODE', body.receipt.tracking_code)}?duplicate=1`);
        return;
      }
    }
    setAlert(await refusal(response));
  } catch (err) {
    setAlert(err.message);
  } finally {
    button.disabled = false;
  }
  setStatus('');
}

// (5) return codes: the choice codes beside each answer, the casting key, the vote cast code

/**
 * The cast's answer on a vote day with return codes. True when it was handled
 * (the ballot is cast: the codes, or a way to ask for them again, are shown).
 * @param {Response} response
 */
async function castWithCodes(response) {
  const body = await response.clone().json().catch(() => ({}));
  const stored = body.receipt?.tracking_code ?? body.tracking_code;
  if (response.status === 201) {
    state.trackingCode = body.tracking_code;
    showCodes(castRows(body.return_codes.codes), '', hasUncoded());
    return true;
  }
  if ((response.status === 502 || response.status === 503) && stored) {
    state.trackingCode = stored;
    showCodes(null, body.error, hasUncoded());
    return true;
  }
  return false;
}

function hasUncoded() {
  return returnCodeQuestions(state.questions).length !== state.questions.length;
}

function answerText(q) {
  return chosenLabels(fieldsetOf(q.id), state.selections[q.id]).join(', ');
}

/**
 * The rows of the codes table after a cast: each coded question, the answer chosen, its code.
 * @returns {{title: string, answer: string | null, code: string}[]}
 */
function castRows(codes) {
  return returnCodeQuestions(state.questions).map((q) => ({
    title: fieldsetOf(q.id).querySelector('legend').textContent.trim(),
    answer: answerText(q),
    code: codes[q.id] ?? '—',
  }));
}

/**
 * Show the codes table, or, without rows, why and a button to ask again. Rows
 * without an answer (coming back: the device no longer knows it) hide that column.
 * @param {{title: string, answer: string | null, code: string}[] | null} rows
 * @param {string} [reason] why there are no codes
 * @param {boolean} [uncoded] whether some questions of the ballot carry no code
 */
function showCodes(rows, reason = '', uncoded = false) {
  state.sealed = null;
  const list = byId('codes-list');
  list.replaceChildren();
  const withAnswers = !rows || rows.every((r) => r.answer !== null);
  byId('codes-answer-col').hidden = !withAnswers;
  for (const r of rows ?? []) {
    const row = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = r.title;
    row.append(th);
    if (withAnswers) {
      const answer = document.createElement('td');
      answer.textContent = r.answer;
      row.append(answer);
    }
    const code = document.createElement('td');
    const mono = document.createElement('code');
    mono.className = 'mono choice-code';
    mono.textContent = r.code;
    code.append(mono);
    row.append(code);
    list.append(row);
  }
  const codes = rows !== null;
  byId('codes-table').hidden = !codes;
  byId('bck-form').hidden = !codes;
  byId('codes-uncoded').hidden = !uncoded;
  byId('codes-pending').hidden = Boolean(codes);
  byId('codes-pending').textContent = codes ? '' : message('codes-unavailable', { reason });
  byId('codes-retry').hidden = Boolean(codes);
  showStep('codes-area', 'codes-heading');
  setStatus(codes ? message('codes-shown') : '');
}

async function askCodesAgain() {
  setStatus(message('codes-asking'));
  try {
    const response = await post(root.dataset.codesUrl, {
      credential: hex(state.credential.publicKey), return_codes: state.partialCodes,
    });
    const body = await response.clone().json().catch(() => ({}));
    if (response.ok) {
      return state.resumed ? showCodes(resumedRows(body.codes)) : showCodes(castRows(body.codes), '', hasUncoded());
    }
    setStatus('');
    byId('codes-pending').textContent = message('codes-unavailable', { reason: body.error ?? `HTTP ${response.status}` });
  } catch (err) {
    setStatus('');
    byId('codes-pending').textContent = message('codes-unavailable', { reason: err.message });
  }
}

async function confirmVote() {
  const raw = /** @type {HTMLInputElement} */ (byId('bck')).value;
  bckError('');
  if (!raw.trim()) return bckError(message('bck-empty'));
  const problem = bckProblem(raw); // a typing error spends no try
  if (problem) return bckError(message(problem === 'check' ? 'bck-check' : 'bck-length'));
  const button = /** @type {HTMLButtonElement} */ (byId('bck-submit'));
  button.disabled = true;
  setStatus(message('confirming'));
  try {
    const credential = state.credential.publicKey;
    const made = proveConfirmation(state.voterSecret, normaliseBck(raw), root.dataset.voteDay, credential);
    const response = await post(root.dataset.confirmUrl, { credential: hex(credential), ...made });
    const body = await response.clone().json().catch(() => ({}));
    if (response.ok) {
      /** @type {HTMLInputElement} */ (byId('bck')).value = '';
      return showConfirmed(body.vote_cast_code, message('confirmed'));
    }
    if (body.error === 'not_confirmed') {
      showTries(body.tries_left);
      return bckError(message('not-confirmed', { tries: body.tries_left }));
    }
    if (body.error === 'confirmation_attempts_exhausted') {
      showTries(0);
      return bckError(message('attempts-exhausted'));
    }
    if (response.status === 502 || response.status === 503) {
      return bckError(message('codes-unavailable', { reason: body.error ?? `HTTP ${response.status}` }));
    }
    bckError(await refusal(response));
  } catch (err) {
    bckError(err.message);
  } finally {
    button.disabled = false;
  }
}

function showTries(tries) {
  const line = byId('bck-tries');
  line.textContent = message('tries-left', { tries });
  line.hidden = false;
}

// (6) coming back to a ballot cast with return codes: the server's state of it

/** The coded questions named by the "already voted" fragment, each with the code held for it. */
function resumedRows(codes) {
  return [...byId('resume-questions').querySelectorAll('li[data-question]')].map((li) => ({
    title: li.textContent.trim(), answer: null, code: codes[li.dataset.question] ?? '—',
  }));
}

function resumeProblem(text) {
  const line = byId('resume-message');
  line.textContent = text;
  line.hidden = !text;
  setStatus('');
}

/**
 * Ask what the server holds for this credential's ballot (signed by the credential:
 * the public key alone shows nothing) and continue where the citizen left off.
 */
async function resume(credential) {
  const list = byId('resume-questions');
  state.credential = credential;
  state.resumed = true;
  state.partialCodes = []; // asking again uses the request the server stored with the ballot
  state.trackingCode = list.dataset.trackingCode;
  setStatus(message('resume-loading'));
  const signature = hex(credential.sign(statusMessage(root.dataset.voteDay, credential.publicKey)));
  let response;
  let body = {};
  try {
    response = await post(list.dataset.statusUrl, { credential: hex(credential.publicKey), signature });
    body = await response.clone().json().catch(() => ({}));
  } catch (err) {
    return resumeProblem(message('resume-failed', { reason: err.message }));
  }
  if (!response.ok) return resumeProblem(message('resume-failed', { reason: body.error ?? `HTTP ${response.status}` }));
  if (body.state === 'confirmed') return showConfirmed(body.vote_cast_code, message('confirmed'));
  if (body.state === 'exhausted') return resumeProblem(message('attempts-exhausted'));
  byId('codes-resumed').hidden = false;
  if (body.state === 'pending') return showCodes(null, 'return_code_authorities_unavailable');
  showCodes(resumedRows(body.codes));
  showTries(body.tries_left);
}

function showConfirmed(vcc, status) {
  byId('vcc').textContent = vcc;
  /** @type {HTMLAnchorElement} */ (byId('confirmed-receipt')).href =
    root.dataset.receiptUrl.replace('CODE', state.trackingCode);
  state.voterSecret = null;
  showStep('confirmed-area', 'confirmed-heading');
  setStatus(status);
}

// (4b) audit (Benaloh): signed to be audited (a form the server never casts),
// reveal, verify here, publish as spoiled, encrypt afresh
function askAudit() {
  byId('audit-confirm').hidden = false;
  byId('audit').setAttribute('aria-expanded', 'true');
  byId('audit-yes').focus();
}

function cancelAudit() {
  byId('audit-confirm').hidden = true;
  byId('audit').setAttribute('aria-expanded', 'false');
  byId('audit').focus();
}

async function audit() {
  cancelAudit();
  const { unsigned, secrets } = state.sealed;
  state.sealed = null; // an audited encryption is never cast
  const ballot = signBallot(unsigned, state.credential, 'audit');
  const verdict = byId('audit-verdict');
  try {
    verifyAudit(ballot, secrets, state.election);
    verdict.textContent = message('audit-ok');
    verdict.className = 'ok';
  } catch (err) {
    verdict.textContent = message('audit-bad', { reason: err.message });
    verdict.className = 'error';
  }
  fillChoices(byId('audit-choices'), secrets.selections);
  const election = {
    vote_day: root.dataset.voteDay,
    manifest_hash: hex(state.election.manifestHash),
    public_key: hex(state.election.publicKey.toBytes()),
  };
  /** @type {HTMLTextAreaElement} */ (byId('audit-json')).value = JSON.stringify({ election, ballot, secrets }, null, 2);
  byId('audit-posted').textContent = '';
  showStep('audit-area', 'audit-heading');
  setStatus(message('auditing'));
  try {
    const response = await post(root.dataset.auditUrl, { ballot, secrets });
    if (response.status !== 201) {
      setAlert(await refusal(response));
      setStatus('');
      return;
    }
    const receipt = await response.json();
    // Said once, in the audit's own section (which has the focus), not again in the status line.
    byId('audit-posted').textContent = message('audit-posted', { index: receipt.index, code: receipt.tracking_code });
    byId('audit-posted').dataset.trackingCode = receipt.tracking_code;
    setStatus('');
  } catch (err) {
    setAlert(err.message);
    setStatus('');
  }
}

function start() {
  byId('code-form').addEventListener('submit', (event) => {
    event.preventDefault();
    enterCode(/** @type {HTMLInputElement} */ (byId('code')).value);
  });
  // Ready: the submit button (disabled in the page so that an Enter pressed before this
  // module ran could not reload the page and lose the typed code) now works.
  /** @type {HTMLButtonElement} */ (byId('code-submit')).disabled = false;
  byId('review-back').addEventListener('click', () => showStep('ballot-area', 'ballot-heading'));
  byId('sealed-back').addEventListener('click', () => {
    state.sealed = null;
    showStep('ballot-area', 'ballot-heading');
  });
  byId('encrypt').addEventListener('click', encrypt);
  byId('cast').addEventListener('click', cast);
  byId('audit').addEventListener('click', askAudit);
  byId('audit-yes').addEventListener('click', audit);
  byId('audit-no').addEventListener('click', cancelAudit);
  byId('fresh').addEventListener('click', encrypt);
  byId('codes-retry').addEventListener('click', askCodesAgain);
  byId('bck-form').addEventListener('submit', (event) => {
    event.preventDefault();
    confirmVote();
  });
  // The card's QR link carries the code in the fragment: take it, then drop it from the address.
  const match = /(?:^#|&)code=([^&]*)/.exec(location.hash);
  if (match) {
    history.replaceState(null, '', location.pathname + location.search);
    const code = decodeURIComponent(match[1]);
    /** @type {HTMLInputElement} */ (byId('code')).value = code;
    enterCode(code);
  }
}

start();
