// A small command-line bridge for the Python cross-checks in
// tests/web/test_browser_crypto_node.py: reads one JSON request on stdin,
// writes one JSON answer on stdout; errors exit 1 with {"error", "message"}.
//
//   {"command": "encrypt", "election": {...}, "questions": [...], "code": "...", "selections": {...}}
//   {"command": "verify-ballot", "election": {...}, "questions": [...], "ballot": {...}, "secrets": {...}?}
//   {"command": "verify-inclusion", "verifier_key": "...", "checkpoint": "...", "leaf": hex,
//    "index": n, "proof": [hex...]}
//   {"command": "return-codes", "election": {...}, "questions": [...], "code": "...",
//    "selections": {...}, "bck": "..."}: a ballot, its partial codes and the confirmation
import { encryptBallot, parseElection, verifyAudit, verifyBallot } from '../../static/js/urna/ballot.js';
import { deriveCredential } from '../../static/js/urna/credentials.js';
import { unhex } from '../../static/js/urna/bytes.js';
import { verifyInclusion } from '../../static/js/urna/merkle.js';
import { verifyCheckpoint } from '../../static/js/urna/note.js';
import {
  deriveVoterSecret, normaliseBck, proveConfirmation, provePartialCode, returnCodeQuestions,
} from '../../static/js/urna/returncodes.js';

const COMMANDS = {
  encrypt(req) {
    const election = parseElection(req.election);
    const credential = deriveCredential(req.code, election.voteDay);
    return encryptBallot(req.selections, req.questions, election, credential);
  },
  'verify-ballot'(req) {
    const election = parseElection(req.election);
    verifyBallot(req.ballot, req.questions, election);
    if (req.secrets !== undefined) verifyAudit(req.ballot, req.secrets, election);
    return { ok: true };
  },
  'verify-inclusion'(req) {
    const checkpoint = verifyCheckpoint(req.checkpoint, req.verifier_key);
    const proof = req.proof.map((h) => unhex(h, 32, 'proof hash'));
    verifyInclusion(unhex(req.leaf, 32, 'leaf'), req.index, Number(checkpoint.size), proof, checkpoint.rootHash);
    return { ok: true, size: Number(checkpoint.size) };
  },
  'return-codes'(req) {
    const election = parseElection(req.election);
    const credential = deriveCredential(req.code, election.voteDay);
    const { ballot, secrets } = encryptBallot(req.selections, req.questions, election, credential);
    const x = deriveVoterSecret(req.code, election.voteDay);
    const partialCodes = returnCodeQuestions(req.questions)
      .map((q) => provePartialCode(ballot, secrets, q, election, x));
    const confirm = proveConfirmation(x, normaliseBck(req.bck), election.voteDay, credential.publicKey);
    return { ballot, secrets, partial_codes: partialCodes, confirm };
  },
};

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
try {
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const run = COMMANDS[request.command];
  if (!run) throw new Error(`unknown command ${JSON.stringify(request.command)}`);
  process.stdout.write(JSON.stringify(run(request)));
} catch (err) {
  process.stdout.write(JSON.stringify({ error: err.name, message: err.message }));
  process.exitCode = 1;
}
