#!/usr/bin/env node
// Time the browser crypto (static/js/urna) in node: encrypt, prove and sign
// the reference ballot (three yes/no questions, blank allowed: 2 options,
// 0 to 1 selections each), and verify it; report the median over --runs runs
// (default 25) and the bytes of JavaScript a browser downloads for it.
//
//   node benchmarks/browser_crypto_bench.mjs [--runs N] [--json]
//
// Node runs the same code as Chromium (V8, BigInt); the bar of issue 7 is
// 0.5 s in headless Chromium, measured separately with Playwright.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const t0 = performance.now();
const { encryptBallot, verifyBallot } = await import('../static/js/urna/ballot.js');
const { deriveCredential, generateCode } = await import('../static/js/urna/credentials.js');
const { baseTimes, randomScalar } = await import('../static/js/urna/group.js');
const { secureRandom } = await import('../static/js/urna/rng.js');
const { canonicalJson } = await import('../static/js/urna/jcs.js');
const loadMs = performance.now() - t0;

const QUESTIONS = ['federal-1', 'canton-zh-1', 'commune-261-1'].map((id) => ({ id, options: 2, min: 0, max: 1 }));
const SELECTIONS = { 'federal-1': [1, 0], 'canton-zh-1': [0, 1], 'commune-261-1': [0, 0] };

function argument(name, fallback) {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []);
}

/** The module graph reached from the given entry files (what a page downloads). */
function closure(entries) {
  const seen = new Set();
  const stack = [...entries];
  while (stack.length) {
    const file = stack.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    for (const m of source.matchAll(/(?:import|export)[^;'"]*?from\s*["'](\.[^"']+)["']/g)) {
      stack.push(resolve(dirname(file), m[1]));
    }
  }
  return [...seen];
}

const bytesOf = (files) => files.reduce((n, f) => n + statSync(f).size, 0);

const runs = argument('--runs', 25);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
const election = {
  voteDay: '2026-03-08-ch',
  manifestHash: secureRandom(32),
  publicKey: baseTimes(randomScalar(secureRandom)),
};
const credential = deriveCredential(generateCode(secureRandom), election.voteDay);

const encryptMs = [];
const verifyMs = [];
let ballot;
for (let i = 0; i < runs; i++) {
  const start = performance.now();
  ({ ballot } = encryptBallot(SELECTIONS, QUESTIONS, election, credential));
  encryptMs.push(performance.now() - start);
  const check = performance.now();
  verifyBallot(ballot, QUESTIONS, election);
  verifyMs.push(performance.now() - check);
}

const urna = jsFiles(join(ROOT, 'static', 'js', 'urna'));
const vendor = jsFiles(join(ROOT, 'static', 'vendor'));
const votingPage = closure([join(ROOT, 'static/js/urna/ballot.js'), join(ROOT, 'static/js/urna/credentials.js')]);
const figures = {
  runs,
  node: process.version,
  module_load_ms: Number(loadMs.toFixed(1)),
  first_run_ms: Number(encryptMs[0].toFixed(1)),
  median_ms: Number(median(encryptMs).toFixed(1)),
  verify_median_ms: Number(median(verifyMs).toFixed(1)),
  ballot_bytes: canonicalJson(ballot).length,
  crypto_bytes: bytesOf([...urna, ...vendor]),
  vendor_bytes: bytesOf(vendor),
  voting_page_crypto_bytes: bytesOf(votingPage),
};

if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} else {
  console.log('browser crypto (static/js/urna) in node', figures.node);
  console.log(`reference ballot: 3 questions x 2 options, ${runs} runs`);
  console.log(`  module load                 ${figures.module_load_ms} ms`);
  console.log(`  encrypt+prove+sign, first   ${figures.first_run_ms} ms`);
  console.log(`  encrypt+prove+sign, median  ${figures.median_ms} ms`);
  console.log(`  verify, median              ${figures.verify_median_ms} ms`);
  console.log(`  ballot (canonical JSON)     ${figures.ballot_bytes} bytes`);
  console.log(`  JavaScript, all crypto      ${figures.crypto_bytes} bytes (vendored ${figures.vendor_bytes})`);
  console.log(`  JavaScript, voting page     ${figures.voting_page_crypto_bytes} bytes`);
}
