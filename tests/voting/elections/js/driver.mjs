// Test driver for tests/voting/elections/test_ballot_js.py: reads one JSON request on stdin, runs it with the
// browser's ballot library (static/js/ballot/encrypt.js), writes one JSON answer on stdout:
// {"ok": true, "result": ...} or {"ok": false, "name": ..., "message": ...}.
//
// The request {"op": "batch", "calls": [{"op": ..., ...}, ...]} runs many calls in one Node process; its result
// is one answer per call, each {"ok": true, "result": ...} or {"ok": false, "name": ..., "message": ...}.
// Seeds are hex (deterministicRng); without a seed the library's own randomness is used.
import * as enc from '../../../../static/js/ballot/encrypt.js';
import * as core from '../../../../static/js/trustee/core.js';
import * as ballots from '../../../../static/js/trustee/ballots.js';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const rngOf = (seed) => (seed === undefined || seed === null ? undefined : enc.deterministicRng(core.strictHex(seed, 'seed')));

/** The JavaScript verifier of the trustee desk on a ballot: structure, challenges, relations. */
function jsVerifies(manifest, ballot) {
  const specs = enc.ballotSpecs(manifest);
  const K = core.jsonPoint(manifest.election_key, 'election key');
  const rels = ballots.ballotRelations(ballots.ballotOf(ballot), specs, K, enc.manifestFingerprint(manifest));
  return core.relationsHold(rels);
}

function encrypt(call) {
  const progress = [];
  const started = performance.now();
  const out = enc.encryptBallot(call.manifest, call.choices, {
    ballotRef: call.ballotRef, rng: rngOf(call.seed), fingerprint: call.fingerprint,
    onProgress: (done, total) => progress.push([done, total]),
  });
  const ms = performance.now() - started;
  return {
    ballot: out.ballot, trackingCode: out.trackingCode, reveal: enc.auditReveal(out.ballot, out.secrets), ms,
    progress, verified: call.verify ? jsVerifies(call.manifest, out.ballot) : null,
    recomputedTrackingCode: enc.ballotTrackingCode(out.ballot),
  };
}

function time(call) {
  const runs = [];
  for (let i = 0; i < call.runs; i++) {
    const started = performance.now();
    enc.encryptBallot(call.manifest, call.choices);
    runs.push(performance.now() - started);
  }
  return runs;
}

function one(call) {
  switch (call.op) {
    case 'fingerprint':
      return enc.manifestFingerprint(call.manifest);
    case 'specs':
      return enc.ballotSpecs(call.manifest);
    case 'rng': {
      const draw = enc.deterministicRng(core.strictHex(call.seed, 'seed'));
      return Array.from({ length: call.count }, () => core.scalarHex(draw()));
    }
    case 'checkChoices':
      return enc.checkChoices(enc.ballotSpecs(call.manifest), call.choices);
    case 'encrypt':
      return encrypt(call);
    case 'encryptAsync':
      return enc.encryptBallotAsync(call.manifest, call.choices, { ballotRef: call.ballotRef, rng: rngOf(call.seed) })
        .then((out) => ({ ballot: out.ballot, trackingCode: out.trackingCode }));
    case 'verifyBallot':
      return jsVerifies(call.manifest, call.ballot);
    case 'receiptMessage':
      return core.toHex(enc.receiptMessage(call.receipt));
    case 'verifyReceipt':
      return enc.verifyReceipt(call.receipt, call.key);
    case 'checkReceipt':
      return enc.checkReceipt(call.receipt, { manifest: call.manifest, trackingCode: call.trackingCode,
        serverPublicKeyHex: call.serverPublicKeyHex });
    case 'time':
      return time(call);
    default:
      throw new Error(`unknown op ${call.op}`);
  }
}

const failure = (exc) => ({ ok: false, name: exc.name, message: exc.message });

async function run() {
  if (req.op !== 'batch') return one(req);
  const answers = [];
  for (const call of req.calls) {
    try {
      answers.push({ ok: true, result: await one(call) });
    } catch (exc) {
      answers.push(failure(exc));
    }
  }
  return answers;
}

try {
  process.stdout.write(JSON.stringify({ ok: true, result: await run() }));
} catch (exc) {
  process.stdout.write(JSON.stringify(failure(exc)));
}
