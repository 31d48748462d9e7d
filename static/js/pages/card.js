/**
 * "No electronic ballot with my card" (templates/citizen/card.html, VEleS
 * Art. 5(2)(b)): a citizen who voted by post or in person types the code of
 * their card; the credential is derived here and the server is asked, with
 * its public key only, whether an electronic ballot was cast with it. The
 * answer is yes or no, and on a vote day with return codes whether the
 * ballot was confirmed (voting/views/citizen.py, card_status).
 * @module
 */
import { hex } from '../urna/bytes.js';
import { readCode } from './code_entry.js';

const root = /** @type {HTMLElement} */ (document.getElementById('card'));
const input = /** @type {HTMLInputElement} */ (document.getElementById('code'));
const result = /** @type {HTMLElement} */ (document.getElementById('card-result'));

function message(key, values = {}) {
  const el = root.querySelector(`#messages [data-key="${key}"]`);
  let text = el ? el.textContent.trim() : key;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

function codeError(text) {
  const error = /** @type {HTMLElement} */ (document.getElementById('code-error'));
  error.textContent = text;
  error.hidden = !text;
  if (text) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  } else {
    input.removeAttribute('aria-invalid');
  }
}

function say(text, className) {
  const p = document.createElement('p');
  p.textContent = text;
  p.className = className;
  result.replaceChildren(p);
}

async function check(event) {
  event.preventDefault();
  codeError('');
  result.replaceChildren();
  if (!input.value.trim()) return codeError(message('code-empty'));
  const read = readCode(input.value, root.dataset.voteDay);
  if (!('credential' in read)) return codeError(message(read.problem, read.values));
  say(message('checking'), 'status');
  let response;
  try {
    response = await fetch(`${root.dataset.statusUrl}?credential=${hex(read.credential.publicKey)}`,
      { credentials: 'omit', headers: { Accept: 'application/json' } });
  } catch {
    return say(message('network'), 'error');
  }
  if (response.status === 403 || response.status === 404) {
    result.replaceChildren();
    return codeError(message('code-unknown'));
  }
  if (response.status === 429) return say(message('too-many'), 'error');
  if (!response.ok) return say(message('failed', { status: response.status }), 'error');
  const body = await response.json();
  input.value = '';
  // with return codes, a cast ballot counts only once confirmed (docs/return-codes.md)
  const key = !body.cast ? 'none' : body.confirmed === false ? 'unconfirmed' : 'cast';
  say(message(key), body.cast ? 'error' : 'ok');
  result.focus();
}

document.getElementById('card-form').addEventListener('submit', check);
// Ready: the submit button (disabled in the page so that Enter cannot reload it) now works.
/** @type {HTMLButtonElement} */ (document.getElementById('card-submit')).disabled = false;
