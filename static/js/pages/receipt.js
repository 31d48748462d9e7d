/**
 * The receipt page (templates/citizen/receipt.html): waits for the signed
 * checkpoint that covers the ballot (about a second after casting), then
 * verifies on this device the log's signature on it and the ballot's
 * inclusion proof (DESIGN.md section 5, docs/log.md).
 * @module
 */
import { verifyReceipt } from '../urna/receipt.js';

const box = /** @type {HTMLElement} */ (document.getElementById('receipt'));
const ATTEMPTS = 15;

function message(key, values = {}) {
  const el = box.querySelector(`#messages [data-key="${key}"]`);
  let text = el ? el.textContent.trim() : key;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The receipt with its checkpoint, asking again every second for a while (null if none yet). */
async function receiptWithCheckpoint() {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const response = await fetch(box.dataset.apiUrl, { credentials: 'omit', headers: { Accept: 'application/json' } });
    if (response.ok) {
      const receipt = await response.json();
      if (receipt.checkpoint) return receipt;
    }
    await sleep(1000);
  }
  return null;
}

async function check() {
  const status = /** @type {HTMLElement} */ (document.getElementById('receipt-status'));
  let receipt;
  try {
    receipt = await receiptWithCheckpoint();
  } catch {
    receipt = null;
  }
  if (receipt === null) {
    status.textContent = message('still-pending');
    return;
  }
  try {
    const checkpoint = verifyReceipt(receipt, receipt.checkpoint, box.dataset.logKey);
    document.getElementById('receipt-checkpoint').textContent = message('covered', { size: checkpoint.size });
    status.textContent = message('verified');
    status.className = 'status ok';
  } catch (err) {
    status.textContent = message('failed');
    status.className = 'status error';
    document.getElementById('receipt-reason').textContent = err.message; // technical, folded
    document.getElementById('receipt-problem').hidden = false;
  }
}

document.getElementById('print').addEventListener('click', () => window.print());
if (box.dataset.logKey) check();
