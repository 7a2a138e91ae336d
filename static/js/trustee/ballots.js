// Checking the counted ballots before decrypting: a port of the verifying half of
// voting/crypto/ballot.py and voting/crypto/proofs.py (question specs, the ballot JSON, the
// disjunctive, range and quadratic-pair proofs' challenge checks and relations).

import {
  G, N, PROTOCOL_VERSION, ZERO, challenge, invalid, jsonInt, jsonList, jsonObject, jsonPoint, jsonScalar, mod,
  strictHex,
} from './core.js';

const MAX_OPTIONS = 256;
const MAX_QUESTIONS = 64;
const MAX_BRANCHES = 1025;
const REF_RE = /^[A-Za-z0-9._:-]{1,128}$/;

// ------------------------------------------------------------------ question specs

function isqrt(n) {
  let x = Math.floor(Math.sqrt(n));
  while (x * x > n) x--;
  while ((x + 1) * (x + 1) <= n) x++;
  return x;
}

export function questionOf(data) {
  const kind = data && typeof data === 'object' ? data.kind : undefined;
  let spec;
  if (kind === 'choice') {
    const o = jsonObject(data, ['kind', 'options', 'min_selections', 'max_selections'], 'choice question');
    spec = { kind, options: jsonList(o.options, 'options'), min: o.min_selections, max: o.max_selections };
  } else if (kind === 'quadratic') {
    const o = jsonObject(data, ['kind', 'options', 'budget', 'allow_negative'], 'quadratic question');
    spec = { kind, options: jsonList(o.options, 'options'), budget: o.budget, allowNegative: o.allow_negative };
  } else {
    throw invalid("A question must be an object with kind 'choice' or 'quadratic'.");
  }
  const opts = spec.options;
  if (opts.length < 1 || opts.length > MAX_OPTIONS || !opts.every((x) => typeof x === 'string' && x)
      || new Set(opts).size !== opts.length) {
    throw invalid('A question needs 1..256 distinct non-empty option names.');
  }
  if (kind === 'choice') {
    jsonInt(spec.min, 'min_selections', 0, opts.length);
    jsonInt(spec.max, 'max_selections', spec.min, opts.length);
  } else {
    jsonInt(spec.budget, 'quadratic budget', 1, MAX_BRANCHES - 1);
    if (typeof spec.allowNegative !== 'boolean') throw invalid('allow_negative must be a boolean.');
    const k = isqrt(spec.budget);
    spec.range = [spec.allowNegative ? -k : 0, k];
  }
  return spec;
}

/** Where an option's total lies given the number of counted ballots (tally.bounds). */
export function bounds(spec, ballots) {
  if (spec.kind === 'choice') return [0, ballots];
  return [spec.range[0] * ballots, spec.range[1] * ballots];
}

// ------------------------------------------------------------------ ballot JSON

export function ciphertextOf(data, what = 'ciphertext') {
  const [a, b] = jsonList(data, what, 2);
  return { alpha: jsonPoint(a, `${what} alpha`), beta: jsonPoint(b, `${what} beta`) };
}

function branchesOf(data, what, width) {
  const o = jsonObject(data, ['commitments', 'challenges', 'responses'], what);
  const comms = jsonList(o.commitments, `${what} commitments`);
  if (comms.length < 1 || comms.length > MAX_BRANCHES) throw invalid(`${what} must have 1..${MAX_BRANCHES} branches.`);
  const commitments = comms.map((c) => jsonList(c, `${what} commitment`, width).map((p) => jsonPoint(p, `${what} commitment`)));
  const challenges = jsonList(o.challenges, `${what} challenges`, comms.length).map((c) => jsonScalar(c, `${what} challenge`));
  const responses = jsonList(o.responses, `${what} responses`, comms.length).map((z) => (width === 2
    ? jsonScalar(z, `${what} response`)
    : jsonList(z, `${what} response pair`, 2).map((x) => jsonScalar(x, `${what} response`))));
  return { commitments, challenges, responses };
}

function answerOf(data, i) {
  const kind = data && typeof data === 'object' ? data.kind : undefined;
  if (kind === 'choice') {
    const o = jsonObject(data, ['kind', 'selections', 'sum_proof'], 'choice answer');
    const sels = jsonList(o.selections, 'selections').map((s) => jsonObject(s, ['ciphertext', 'proof'], 'selection'));
    if (sels.length < 1 || sels.length > MAX_OPTIONS) throw invalid('A choice answer needs 1..256 selections.');
    return { kind, cts: sels.map((s) => ciphertextOf(s.ciphertext)), proofs: sels.map((s) => branchesOf(s.proof, 'disjunctive proof', 2)),
      sumProof: branchesOf(o.sum_proof, 'range proof', 2) };
  }
  if (kind === 'quadratic') {
    const o = jsonObject(data, ['kind', 'options', 'budget_proof'], 'quadratic answer');
    const opts = jsonList(o.options, 'options').map((x) => jsonObject(x, ['votes', 'square', 'proof'], 'quadratic option'));
    if (opts.length < 1 || opts.length > MAX_OPTIONS) throw invalid('A quadratic answer needs 1..256 options.');
    return { kind, cts: opts.map((x) => ciphertextOf(x.votes)), squares: opts.map((x) => ciphertextOf(x.square)),
      proofs: opts.map((x) => branchesOf(x.proof, 'quadratic pair proof', 4)), sumProof: branchesOf(o.budget_proof, 'range proof', 2) };
  }
  throw invalid(`Answer ${i}: kind must be 'choice' or 'quadratic'.`);
}

export function ballotOf(data) {
  const o = jsonObject(data, ['version', 'election', 'ballot_ref', 'answers'], 'ballot');
  if (o.version !== PROTOCOL_VERSION) throw invalid(`Unsupported ballot version ${JSON.stringify(o.version)}.`);
  if (typeof o.election !== 'string' || !/^[0-9a-f]{64}$/.test(o.election)) {
    throw invalid('The ballot\'s election fingerprint must be 64 lowercase hex characters.');
  }
  const raw = jsonList(o.answers, 'answers');
  if (raw.length < 1 || raw.length > MAX_QUESTIONS) throw invalid('A ballot needs 1..64 answers.');
  const answers = raw.map(answerOf);
  if (typeof o.ballot_ref !== 'string' || !REF_RE.test(o.ballot_ref)) {
    throw invalid('ballot_ref must be 1..128 characters of [A-Za-z0-9._:-].');
  }
  return { election: o.election, ref: o.ballot_ref, answers };
}

export function sumCiphertexts(cts) {
  return cts.reduce((acc, ct) => ({ alpha: acc.alpha.add(ct.alpha), beta: acc.beta.add(ct.beta) }),
    { alpha: ZERO, beta: ZERO });
}

// ------------------------------------------------------------------ proofs: challenge checks and relations

function checkChallenges(purpose, proof, count, h, where) {
  if (proof.commitments.length !== count) throw invalid(`${where}: expected ${count} branches, got ${proof.commitments.length}.`);
  const sum = mod(proof.challenges.reduce((a, c) => a + c, 0n));
  if (sum !== h) {
    throw invalid(`${where}: ${purpose}: branch challenges do not add up to the Fiat–Shamir challenge.`);
  }
}

function disjunctionRelations(K, ct, values, proof) {
  const rels = [];
  values.forEach((s, j) => {
    const [a, b] = proof.commitments[j];
    const c = proof.challenges[j], z = proof.responses[j];
    rels.push([[z, G], [N - c, ct.alpha], [N - 1n, a]]);
    rels.push([[z, K], [mod(c * BigInt(s)), G], [N - c, ct.beta], [N - 1n, b]]);
  });
  return rels;
}

const range = (lo, hi) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

function disjunctive(K, ct, values, proof, fp, position, where) {
  const h = challenge('proof/disjunctive-cp', fp, position, [K, ct.alpha, ct.beta, values], proof.commitments);
  checkChallenges('proof/disjunctive-cp', proof, values.length, h, where);
  return disjunctionRelations(K, ct, values, proof);
}

function rangeProof(K, ct, lo, hi, proof, fp, position, where) {
  const h = challenge('proof/range-cp', fp, position, [K, ct.alpha, ct.beta, lo, hi], proof.commitments);
  checkChallenges('proof/range-cp', proof, hi - lo + 1, h, where);
  return disjunctionRelations(K, ct, range(lo, hi), proof);
}

function pairProof(K, v, sq, lo, hi, proof, fp, position, where) {
  const h = challenge('proof/quadratic-pair', fp, position, [K, v.alpha, v.beta, sq.alpha, sq.beta, lo, hi], proof.commitments);
  checkChallenges('proof/quadratic-pair', proof, hi - lo + 1, h, where);
  const rels = [];
  range(lo, hi).forEach((j, idx) => {
    const [a1, b1, a2, b2] = proof.commitments[idx];
    const c = proof.challenges[idx];
    const [z1, z2] = proof.responses[idx];
    const J = BigInt(j);
    rels.push([[z1, G], [N - c, v.alpha], [N - 1n, a1]]);
    rels.push([[z1, K], [mod(c * J), G], [N - c, v.beta], [N - 1n, b1]]);
    rels.push([[z2, G], [N - c, sq.alpha], [N - 1n, a2]]);
    rels.push([[z2, K], [mod(c * J * J), G], [N - c, sq.beta], [N - 1n, b2]]);
  });
  return rels;
}

/** ballot_relations: structure and every proof's challenge checked; returns the relations to batch. */
export function ballotRelations(ballot, specs, K, fpHex) {
  const ref = ballot.ref;
  if (ballot.election !== fpHex) throw invalid(`Ballot ${ref} was cast for another election (fingerprint mismatch).`);
  if (ballot.answers.length !== specs.length) {
    throw invalid(`Ballot ${ref} has ${ballot.answers.length} answers for ${specs.length} questions.`);
  }
  const fp = strictHex(fpHex, 'fingerprint', 32);
  const rels = [];
  specs.forEach((spec, q) => {
    const ans = ballot.answers[q];
    const n = spec.options.length;
    if (ans.kind !== spec.kind) throw invalid(`Ballot ${ref} question ${q}: answer is ${ans.kind}, question is ${spec.kind}.`);
    if (ans.cts.length !== n) throw invalid(`Ballot ${ref} question ${q}: ${ans.cts.length} entries for ${n} options.`);
    if (spec.kind === 'choice') {
      ans.cts.forEach((ct, i) => rels.push(...disjunctive(K, ct, [0, 1], ans.proofs[i], fp, [ref, q, i],
        `ballot ${ref} question ${q} option ${i}`)));
      rels.push(...rangeProof(K, sumCiphertexts(ans.cts), spec.min, spec.max, ans.sumProof, fp, [ref, q, 'sum'],
        `ballot ${ref} question ${q} sum`));
    } else {
      const [lo, hi] = spec.range;
      ans.cts.forEach((v, i) => rels.push(...pairProof(K, v, ans.squares[i], lo, hi, ans.proofs[i], fp, [ref, q, i],
        `ballot ${ref} question ${q} option ${i}`)));
      rels.push(...rangeProof(K, sumCiphertexts(ans.squares), 0, spec.budget, ans.sumProof, fp, [ref, q, 'sum'],
        `ballot ${ref} question ${q} sum`));
    }
  });
  return rels;
}
