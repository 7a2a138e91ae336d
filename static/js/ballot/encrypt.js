// dataguild ballot encryption, on the voter's device: the proving half of voting/crypto/ballot.py and
// voting/crypto/proofs.py (exponential ElGamal under the manifest's election key, disjunctive 0/1 proofs,
// range proofs of the selection count and of the quadratic budget, quadratic pair proofs), the tracking code,
// the audit reveal, and the check of the server's BIP-340 receipt. The JavaScript twin of
// voting/elections/client.py; byte for byte what Python's encrypt_ballot produces for the same randomness.
//
// Pure: no DOM, no logging (choices and randomness never leave the returned objects); runs in the browser and
// in Node 20. The verifying half (question specs, the ballot JSON parser, the relations) is the trustee desk's
// static/js/trustee/ballots.js; the encoding, hashing and points are static/js/trustee/core.js.

import { schnorr } from '../../vendor/noble/noble.js';
import {
  DgError, G, N, PROTOCOL_VERSION, Point, ZERO, canonicalBytes, challenge, dst, encode, hashToScalar, invalid,
  jsonList, jsonPoint, mod, mul, pointHex, randomBytes, randomScalar, scalarHex, sha256, strictHex, toHex,
} from '../trustee/core.js';
import { ballotOf, questionOf } from '../trustee/ballots.js';

const REF_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;
const HEX128_RE = /^[0-9a-f]{128}$/;
const MAX_QUESTIONS = 64;
const ZERO_ONE = [0, 1];
const RECEIPT_FORMATS = ['dataguild-receipt-v2', 'dataguild-receipt-v1'];
const RECEIPT_FIELDS_V1 = ['format', 'election_id', 'election', 'leaf_index', 'kind', 'tracking_code', 'cast_at',
  'leaf_hash', 'server_public_key', 'signature'];
const RECEIPT_FIELDS_V2 = [...RECEIPT_FIELDS_V1.slice(0, -1), 'head', 'signature'];

// ------------------------------------------------------------------ the manifest

/** The election fingerprint: lowercase hex SHA-256 of the RFC 8785 canonical manifest (manifest_fingerprint). */
export function manifestFingerprint(manifest) {
  return toHex(sha256(canonicalBytes(manifest)));
}

/**
 * The manifest's fingerprint, after checking that it is a secret election's with an election key and, when
 * `fingerprint` is given, that it hashes to it (client.check_manifest). Throws DgError('InvalidInput').
 */
export function checkManifest(manifest, fingerprint) {
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
    throw invalid('The election manifest must be a JSON object.');
  }
  let actual;
  try {
    actual = manifestFingerprint(manifest);
  } catch (exc) {
    throw invalid(`The election manifest cannot be read: ${exc.message}`);
  }
  if (fingerprint !== undefined && fingerprint !== null && actual !== fingerprint) {
    throw invalid(`The manifest does not hash to the election's fingerprint (it hashes to ${actual.slice(0, 16)}…, `
      + `expected ${String(fingerprint).slice(0, 16)}…): do not vote with it, and tell the observers.`);
  }
  if (manifest.secrecy !== 'secret' || !manifest.election_key) {
    throw invalid('This election is an open roll call: its ballots are not encrypted.');
  }
  return actual;
}

/** The question specs of `manifest.questions` (ballots.js questionOf: kind, options, min/max or budget/range). */
export function ballotSpecs(manifest) {
  const questions = jsonList(manifest && manifest.questions, 'the manifest\'s questions');
  if (questions.length < 1 || questions.length > MAX_QUESTIONS) {
    throw invalid(`An election has 1..${MAX_QUESTIONS} questions, this manifest has ${questions.length}.`);
  }
  return questions.map(questionOf);
}

// ------------------------------------------------------------------ the choices

const plainInt = (x) => typeof x === 'number' && Number.isSafeInteger(x);
const show = (x) => (typeof x === 'string' ? JSON.stringify(x) : typeof x === 'bigint' ? `${x}n` : String(x));

function checkChoiceValues(spec, vals, where) {
  vals.forEach((x, i) => {
    if (!plainInt(x) || (x !== 0 && x !== 1)) {
      throw invalid(`${where} option ${i}: a selection must be 0 or 1, got ${show(x)}.`);
    }
  });
  const selected = vals.reduce((a, x) => a + x, 0);
  if (selected < spec.min || selected > spec.max) {
    const allowed = spec.min === spec.max ? `exactly ${spec.min}` : `${spec.min}..${spec.max}`;
    throw invalid(`${where}: ${selected} options selected, allowed ${allowed}.`);
  }
}

function checkQuadraticValues(spec, vals, where) {
  const k = spec.range[1];
  vals.forEach((v, i) => {
    if (!plainInt(v)) throw invalid(`${where} option ${i}: votes must be an integer, got ${show(v)}.`);
    if (v < 0 && !spec.allowNegative) {
      throw invalid(`${where} option ${i}: negative votes are not allowed on this question.`);
    }
    if (Math.abs(v) > k) {
      throw invalid(`${where} option ${i}: ${v} votes cost ${v * v} credits, more than the budget of `
        + `${spec.budget} (at most ${k} votes).`);
    }
  });
  const spent = vals.reduce((a, v) => a + v * v, 0);
  if (spent > spec.budget) throw invalid(`${where}: spends ${spent} voice credits, budget is ${spec.budget}.`);
}

/**
 * Validate one list of integers per question, as ChoiceQuestion/QuadraticQuestion.check_choices do: 0/1 per
 * option and min..max selections; quadratic: integer votes in the vote range, Σ v² <= budget. Returns the
 * lists (copied); throws DgError('InvalidInput', message) naming the question and option.
 */
export function checkChoices(specs, choices) {
  if (!Array.isArray(choices)) throw invalid('The choices must be a list with one list of values per question.');
  if (choices.length !== specs.length) {
    throw invalid(`Expected choices for ${specs.length} question(s), got ${choices.length}.`);
  }
  return specs.map((spec, q) => {
    const where = `question ${q}`;
    const vals = choices[q];
    if (!Array.isArray(vals)) throw invalid(`${where}: the choices must be a list of one value per option.`);
    if (vals.length !== spec.options.length) {
      throw invalid(`${where}: expected ${spec.options.length} option values, got ${vals.length}.`);
    }
    if (spec.kind === 'choice') checkChoiceValues(spec, vals, where);
    else checkQuadraticValues(spec, vals, where);
    return [...vals];
  });
}

// ------------------------------------------------------------------ randomness

/** "b-" and 24 random lowercase hex characters (new_ballot_ref): names the ballot, says nothing about the voter. */
export const newBallotRef = () => `b-${toHex(randomBytes(12))}`;

/**
 * Reproducible nonzero scalars hash_to_scalar(dst("test/rng"), seed, counter), counter = 1, 2, …; the same
 * draws as Python's voting.crypto.trustees.deterministic_rng(seed). For tests and vectors only.
 */
export function deterministicRng(seedBytes) {
  if (!(seedBytes instanceof Uint8Array)) throw invalid('The seed must be bytes (a Uint8Array).');
  const seed = Uint8Array.from(seedBytes);
  const tag = dst('test/rng');
  let counter = 0;
  return () => {
    for (;;) {
      counter += 1;
      const k = hashToScalar(tag, seed, counter);
      if (k !== 0n) return k;
    }
  };
}

function drawFrom(rng) {
  return () => {
    const k = rng();
    if (typeof k !== 'bigint' || k <= 0n || k >= N) {
      throw new DgError('CryptoError', 'The randomness source must return scalars (BigInt) in [1, n).');
    }
    return k;
  };
}

// ------------------------------------------------------------------ ElGamal and the provers

/** How many multiplications by the election key encrypting for `specs` takes (ciphertexts and proof branches). */
function keyMultiplications(specs) {
  return specs.reduce((n, s) => n + (s.kind === 'choice'
    ? 3 * s.options.length + (s.max - s.min + 1)
    : s.options.length * 2 * (s.range[1] - s.range[0] + 2) + s.budget + 1), 0);
}

/**
 * The election key with a precomputed multiplication table (its own Point object: the table is noble's per-point
 * cache). A window of 8 bits costs ~30 ms to build and pays off for the few hundred multiplications of a quadratic
 * ballot; 4 bits (~3 ms) suits a small choice ballot.
 */
function electionKey(hex, specs) {
  let K;
  try {
    K = jsonPoint(hex, 'the election key');
  } catch (exc) {
    throw invalid(`The manifest's election key cannot be used: ${exc.message}`);
  }
  return Point.fromHex(pointHex(K)).precompute(keyMultiplications(specs) > 150 ? 8 : 4, false);
}

/** Enc(m; r) = (r·G, m·G + r·K). */
const encrypt = (K, m, r) => ({ alpha: mul(G, r), beta: mul(G, m).add(mul(K, r)) });

const addCts = (cts) => cts.reduce((acc, ct) => ({ alpha: acc.alpha.add(ct.alpha), beta: acc.beta.add(ct.beta) }),
  { alpha: ZERO, beta: ZERO });

/**
 * proofs._prove_disjunction: branches in the order of `values`; the real branch draws w, a simulated one c then z
 * and commits (z − c·r)·G, (z − c·r)·K + c·(s − m)·G. Returns {commitments: [[a, b]], challenges, responses}.
 */
function proveDisjunction(purpose, statement, K, r, m, values, fp, position, draw) {
  const real = values.indexOf(m);
  if (real < 0) throw new DgError('CryptoError', `${purpose}: cannot prove: value ${m} is not in the allowed set.`);
  const commitments = [];
  const challenges = values.map(() => 0n);
  const responses = values.map(() => 0n);
  let w = 0n;
  values.forEach((s, j) => {
    if (j === real) {
      w = draw();
      commitments.push([mul(G, w), mul(K, w)]);
      return;
    }
    const c = draw(), z = draw();
    const t = mod(z - c * r);
    commitments.push([mul(G, t), mul(K, t).add(mul(G, c * BigInt(s - m)))]);
    challenges[j] = c;
    responses[j] = z;
  });
  const h = challenge(purpose, fp, position, statement, commitments);
  challenges[real] = mod(h - challenges.reduce((a, c) => a + c, 0n));
  responses[real] = mod(w + challenges[real] * r);
  return { commitments, challenges, responses };
}

const span = (lo, hi) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

/** DisjunctiveProof.prove with values = (0, 1): ct encrypts 0 or 1. */
const proveZeroOne = (K, ct, r, m, fp, position, draw) => proveDisjunction('proof/disjunctive-cp',
  [K, ct.alpha, ct.beta, ZERO_ONE], K, r, m, ZERO_ONE, fp, position, draw);

/** RangeProof.prove: ct encrypts a value in [lo..hi]. */
const proveRange = (K, ct, r, m, lo, hi, fp, position, draw) => proveDisjunction('proof/range-cp',
  [K, ct.alpha, ct.beta, lo, hi], K, r, m, span(lo, hi), fp, position, draw);

/**
 * QuadraticPairProof.prove: (C1, C2) = (Enc(v; r1), Enc(v²; r2)), v in [lo..hi]; the real branch draws w1, w2,
 * a simulated one c, z1, z2. Returns {commitments: [[a1, b1, a2, b2]], challenges, responses: [[z1, z2]]}.
 */
function provePair(K, ctV, ctSq, v, r1, r2, lo, hi, fp, position, draw) {
  const vals = span(lo, hi);
  const real = vals.indexOf(v);
  if (real < 0) throw new DgError('CryptoError', `proof/quadratic-pair: cannot prove: value ${v} is not in [${lo}..${hi}].`);
  const commitments = [];
  const challenges = vals.map(() => 0n);
  const responses = vals.map(() => [0n, 0n]);
  let w1 = 0n, w2 = 0n;
  const V = BigInt(v);
  vals.forEach((j, idx) => {
    if (idx === real) {
      w1 = draw();
      w2 = draw();
      commitments.push([mul(G, w1), mul(K, w1), mul(G, w2), mul(K, w2)]);
      return;
    }
    const c = draw(), z1 = draw(), z2 = draw();
    const t1 = mod(z1 - c * r1), t2 = mod(z2 - c * r2);
    const J = BigInt(j);
    commitments.push([mul(G, t1), mul(K, t1).add(mul(G, c * (J - V))),
      mul(G, t2), mul(K, t2).add(mul(G, c * (J * J - V * V)))]);
    challenges[idx] = c;
    responses[idx] = [z1, z2];
  });
  const h = challenge('proof/quadratic-pair', fp, position, [K, ctV.alpha, ctV.beta, ctSq.alpha, ctSq.beta, lo, hi],
    commitments);
  challenges[real] = mod(h - challenges.reduce((a, c) => a + c, 0n));
  responses[real] = [mod(w1 + challenges[real] * r1), mod(w2 + challenges[real] * r2)];
  return { commitments, challenges, responses };
}

// ------------------------------------------------------------------ encoding one question

function* encryptChoice(K, spec, vals, fp, ref, q, draw) {
  const cts = [], proofs = [], rs = [];
  for (let i = 0; i < vals.length; i++) {
    const r = draw();
    const ct = encrypt(K, vals[i], r);
    proofs.push(proveZeroOne(K, ct, r, vals[i], fp, [ref, q, i], draw));
    cts.push(ct);
    rs.push(r);
    yield;
  }
  const total = vals.reduce((a, x) => a + x, 0);
  const sumProof = proveRange(K, addCts(cts), mod(rs.reduce((a, r) => a + r, 0n)), total, spec.min, spec.max, fp,
    [ref, q, 'sum'], draw);
  return { answer: { kind: 'choice', cts, proofs, sumProof }, secret: { kind: 'choice', values: vals, randomness: rs } };
}

function* encryptQuadratic(K, spec, vals, fp, ref, q, draw) {
  const [lo, hi] = spec.range;
  const votes = [], squares = [], proofs = [], rs = [], rs2 = [];
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i];
    const r1 = draw();
    const ctV = encrypt(K, v, r1);
    const r2 = draw();
    const ctSq = encrypt(K, v * v, r2);
    proofs.push(provePair(K, ctV, ctSq, v, r1, r2, lo, hi, fp, [ref, q, i], draw));
    votes.push(ctV);
    squares.push(ctSq);
    rs.push(r1);
    rs2.push(r2);
    yield;
  }
  const spent = vals.reduce((a, v) => a + v * v, 0);
  const budgetProof = proveRange(K, addCts(squares), mod(rs2.reduce((a, r) => a + r, 0n)), spent, 0, spec.budget, fp,
    [ref, q, 'sum'], draw);
  return { answer: { kind: 'quadratic', cts: votes, squares, proofs, sumProof: budgetProof },
    secret: { kind: 'quadratic', values: vals, randomness: rs, squareRandomness: rs2 } };
}

// ------------------------------------------------------------------ JSON and the tracking code

const ctJson = (ct) => [pointHex(ct.alpha), pointHex(ct.beta)];

const disjunctionJson = (p) => ({ commitments: p.commitments.map(([a, b]) => [pointHex(a), pointHex(b)]),
  challenges: p.challenges.map(scalarHex), responses: p.responses.map(scalarHex) });

const pairJson = (p) => ({ commitments: p.commitments.map((quad) => quad.map(pointHex)),
  challenges: p.challenges.map(scalarHex), responses: p.responses.map(([z1, z2]) => [scalarHex(z1), scalarHex(z2)]) });

function answerJson(a) {
  if (a.kind === 'choice') {
    return { kind: 'choice', selections: a.cts.map((ct, i) => ({ ciphertext: ctJson(ct), proof: disjunctionJson(a.proofs[i]) })),
      sum_proof: disjunctionJson(a.sumProof) };
  }
  return { kind: 'quadratic',
    options: a.cts.map((v, i) => ({ votes: ctJson(v), square: ctJson(a.squares[i]), proof: pairJson(a.proofs[i]) })),
    budget_proof: disjunctionJson(a.sumProof) };
}

const disjunctionItems = (p) => p.commitments.map(([a, b], j) => [a, b, p.challenges[j], p.responses[j]]);

/** EncryptedBallot.canonical_items' answer items (docs/crypto-ballots.md, "Tracking code"). */
function answerItems(a) {
  if (a.kind === 'choice') {
    return ['choice', a.cts.map((ct, i) => [ct.alpha, ct.beta, disjunctionItems(a.proofs[i])]), disjunctionItems(a.sumProof)];
  }
  return ['quadratic', a.cts.map((v, i) => {
    const sq = a.squares[i], p = a.proofs[i];
    return [v.alpha, v.beta, sq.alpha, sq.beta,
      p.commitments.map((quad, j) => [...quad, p.challenges[j], p.responses[j][0], p.responses[j][1]])];
  }), disjunctionItems(a.sumProof)];
}

/** SHA-256(encode("dataguild/tracking-code", PROTOCOL_VERSION, fingerprint, ballot_ref, answers)), lowercase hex. */
function trackingCodeOf(fp, ref, answers) {
  return toHex(sha256(encode('dataguild/tracking-code', PROTOCOL_VERSION, fp, ref, answers.map(answerItems))));
}

// ------------------------------------------------------------------ the ballot

/**
 * Everything encryptBallot does, as a generator that yields after each option (so a page can show progress
 * between options); returns {ballot, secrets, trackingCode}.
 */
function* ballotSteps(manifest, choices, { ballotRef, rng = randomScalar, onProgress, fingerprint } = {}) {
  const fpHex = checkManifest(manifest, fingerprint);
  const specs = ballotSpecs(manifest);
  const checked = checkChoices(specs, choices);
  const ref = ballotRef === undefined || ballotRef === null ? newBallotRef() : ballotRef;
  if (typeof ref !== 'string' || !REF_RE.test(ref)) throw invalid('ballot_ref must be 1..128 characters of [A-Za-z0-9._:-].');
  if (typeof rng !== 'function') throw invalid('rng must be a function returning scalars.');
  const K = electionKey(manifest.election_key, specs);
  const fp = strictHex(fpHex, 'fingerprint', 32);
  const draw = drawFrom(rng);
  const total = checked.reduce((n, vals) => n + vals.length, 0);
  let done = 0;
  const answers = [], secrets = [];
  for (let q = 0; q < specs.length; q++) {
    const steps = specs[q].kind === 'choice'
      ? encryptChoice(K, specs[q], checked[q], fp, ref, q, draw)
      : encryptQuadratic(K, specs[q], checked[q], fp, ref, q, draw);
    for (;;) {
      const step = steps.next();
      if (step.done) {
        answers.push(step.value.answer);
        secrets.push(step.value.secret);
        break;
      }
      done += 1;
      if (onProgress) onProgress(done, total);
      yield;
    }
  }
  const ballot = { version: PROTOCOL_VERSION, election: fpHex, ballot_ref: ref, answers: answers.map(answerJson) };
  return { ballot, secrets: { ballotRef: ref, answers: secrets }, trackingCode: trackingCodeOf(fp, ref, answers) };
}

/**
 * Validate and encrypt `choices` (one list of integers per question) for the election of `manifest`, with every
 * proof. Returns {ballot, secrets, trackingCode}: `ballot` is EncryptedBallot.to_json() (compressed points),
 * `trackingCode` EncryptedBallot.tracking_code(), `secrets` {ballotRef, answers: [{kind, values, randomness,
 * squareRandomness?}]} (BigInt randomness: keep it on the device; reveal it only to audit).
 *
 * Options: `ballotRef` (default "b-" + 24 random hex), `rng` (default core.randomScalar; drawn in exactly
 * encrypt_ballot's order: per question, per option r (quadratic: r1 then r2) then that option's proof nonces,
 * then the sum/budget proof's nonces), `onProgress(done, total)` after each option, `fingerprint` (when given,
 * the manifest must hash to it).
 */
export function encryptBallot(manifest, choices, options = {}) {
  const steps = ballotSteps(manifest, choices, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** encryptBallot, giving the event loop a turn after each option (a page stays responsive and repaints progress). */
export async function encryptBallotAsync(manifest, choices, options = {}) {
  const steps = ballotSteps(manifest, choices, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/**
 * What an audit posts beside the ballot (audit_reveal): {ballot_ref, tracking_code, answers: [{kind, values,
 * randomness: [hex], square_randomness?: [hex]}]}. The tracking code is recomputed from the ballot JSON.
 */
export function auditReveal(ballot, secrets) {
  if (!secrets || secrets.ballotRef !== ballot.ballot_ref || !Array.isArray(secrets.answers)
      || secrets.answers.length !== ballot.answers.length) {
    throw invalid('These secrets belong to another ballot.');
  }
  const answers = ballot.answers.map((ans, q) => {
    const sec = secrets.answers[q];
    if (sec.kind !== ans.kind) throw invalid('These secrets belong to another ballot.');
    const item = { kind: ans.kind, values: [...sec.values], randomness: sec.randomness.map(scalarHex) };
    if (ans.kind === 'quadratic') item.square_randomness = sec.squareRandomness.map(scalarHex);
    return item;
  });
  return { ballot_ref: ballot.ballot_ref, tracking_code: ballotTrackingCode(ballot), answers };
}

/** The tracking code of a ballot in its JSON form (parsed and validated with ballots.js's parser). */
export function ballotTrackingCode(ballot) {
  // ballotOf gives {election, ref, answers: [{kind, cts, squares?, proofs, sumProof}]}: the shape answerItems reads.
  const parsed = ballotOf(ballot);
  return trackingCodeOf(strictHex(parsed.election, 'fingerprint', 32), parsed.ref, parsed.answers);
}

// ------------------------------------------------------------------ the server's receipt

/** The 32 bytes the receipt's BIP-340 signature signs: SHA-256 of the canonical receipt without "signature". */
export function receiptMessage(receipt) {
  const { signature, ...unsigned } = receipt;
  return sha256(canonicalBytes(unsigned));
}

/**
 * True iff `receipt.signature` is a valid BIP-340 signature by the x-only key `serverPublicKeyHex` (64 hex) of
 * receiptMessage(receipt), and the receipt names that key; false on any malformed input.
 */
export function verifyReceipt(receipt, serverPublicKeyHex) {
  try {
    if (receipt === null || typeof receipt !== 'object' || Array.isArray(receipt)) return false;
    if (typeof serverPublicKeyHex !== 'string' || !HEX64_RE.test(serverPublicKeyHex)) return false;
    if (receipt.server_public_key !== serverPublicKeyHex) return false;
    if (typeof receipt.signature !== 'string' || !HEX128_RE.test(receipt.signature)) return false;
    return schnorr.verify(strictHex(receipt.signature, 'signature', 64), receiptMessage(receipt),
      strictHex(serverPublicKeyHex, 'server key', 32)) === true;
  } catch {
    return false;
  }
}

function receiptShapeProblem(receipt) {
  if (receipt === null || typeof receipt !== 'object' || Array.isArray(receipt)) return 'it is not a JSON object';
  if ('format' in receipt && !RECEIPT_FORMATS.includes(receipt.format)) {
    return `its format ${show(receipt.format)} is unknown`;
  }
  const fields = receipt.format === RECEIPT_FORMATS[1] ? RECEIPT_FIELDS_V1 : RECEIPT_FIELDS_V2;
  const missing = fields.filter((k) => !(k in receipt));
  const extra = Object.keys(receipt).filter((k) => !fields.includes(k)).sort();
  if (missing.length || extra.length) {
    return [missing.length ? `it lacks ${missing.join(', ')}` : '', extra.length ? `it has unknown ${extra.join(', ')}` : '']
      .filter(Boolean).join('; ');
  }
  for (const key of ['election', 'tracking_code', 'leaf_hash', 'server_public_key', ...('head' in receipt ? ['head'] : [])]) {
    if (typeof receipt[key] !== 'string' || !HEX64_RE.test(receipt[key])) return `its ${key} is not 64 lowercase hex characters`;
  }
  if (typeof receipt.signature !== 'string' || !HEX128_RE.test(receipt.signature)) {
    return 'its signature is not 128 lowercase hex characters';
  }
  return null;
}

/**
 * What is wrong with the server's receipt for the ballot with `trackingCode` (client.receipt_problems): a list of
 * plain-English problems, [] when it is fine. The signature is checked with the manifest's receipt_public_key;
 * `serverPublicKeyHex` (optional: the key the server announced) must be that key too.
 */
export function checkReceipt(receipt, { manifest, trackingCode, serverPublicKeyHex } = {}) {
  const shape = receiptShapeProblem(receipt);
  if (shape) return [`The server's answer is not a receipt: ${shape}.`];
  const problems = [];
  const electionKeyHex = manifest && manifest.receipt_public_key;
  let fingerprint = null;
  try {
    fingerprint = manifestFingerprint(manifest);
  } catch {
    problems.push('The election manifest cannot be read, so the receipt cannot be checked against it.');
  }
  if (fingerprint !== null && receipt.election !== fingerprint) {
    problems.push('The receipt is for another election than the one you voted in.');
  }
  if (receipt.tracking_code !== trackingCode) {
    problems.push(`The receipt's tracking code ${receipt.tracking_code.slice(0, 16)}… is not your ballot's `
      + `(${String(trackingCode).slice(0, 16)}…): the server recorded something other than what you sent.`);
  }
  if (serverPublicKeyHex !== undefined && serverPublicKeyHex !== electionKeyHex) {
    problems.push('The server signs with a key that is not the election\'s receipt key (receipt_public_key in the '
      + 'manifest).');
  }
  if (receipt.server_public_key !== electionKeyHex) {
    problems.push('The receipt names a different server key than the election\'s receipt key.');
  } else if (!verifyReceipt(receipt, electionKeyHex)) {
    problems.push('The receipt\'s signature does not verify with the election\'s receipt key.');
  }
  return problems;
}
