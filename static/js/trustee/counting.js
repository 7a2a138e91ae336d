// The trustee's side of counting: a port of voting/trustees/decrypt.py and the parts of
// voting/record/tally.py and voting/crypto/trustees.py it uses (the manifest's joint key, the encrypted
// tally recomputed from the public board with every counted ballot's proofs checked, partial
// decryptions with Chaum–Pedersen proofs, combining the posted shares, the result and its message).

import {
  G, N, ZERO, baseMul, bytesEqual, canonicalBytes, canonicalJson, challenge, invalid, jsonInt, jsonList, jsonObject,
  jsonPoint, jsonScalar, mismatch, mod, mul, mulPublic, pointHex, randomScalar, relationsHold, scalarHex, sha256Hex, strictHex,
} from './core.js';
import { ballotOf, ballotRelations, bounds, ciphertextOf, questionOf, sumCiphertexts } from './ballots.js';
import { ceremonyOf, electionKey, verificationKey } from './ceremony.js';
import { resultOutcome } from './outcome.js';

const TALLY_FORMAT = 'dataguild-encrypted-tally-v1';
const RESULT_FORMAT = 'dataguild-result-v1';
const RESULT_FIELDS = ['format', 'election', 'totals', 'turnout', 'roll_size'];
const RESULT_FORMAT_V2 = 'dataguild-result-v2';
/** tally.result_fields: v2 results also sign the outcome. */
const resultFields = (result) => (result.format === RESULT_FORMAT_V2 ? [...RESULT_FIELDS, 'outcome'] : RESULT_FIELDS);
const PURPOSE_DECRYPTION = 'decryption/partial';

/** tally.joint_key_of_manifest (JointKey.from_json): qualified dealers' commitments. */
export function jointKeyOfManifest(manifest) {
  const committee = manifest.committee;
  if (!committee || typeof committee !== 'object' || !('joint_key' in committee)) {
    throw invalid("This election's manifest names no trustee committee.");
  }
  const obj = jsonObject(committee.joint_key, ['ceremony', 'commitments', 'disqualified'], 'joint key');
  const ceremony = ceremonyOf(obj.ceremony);
  if (!obj.commitments || typeof obj.commitments !== 'object' || Array.isArray(obj.commitments)) {
    throw invalid('The joint key commitments must be an object.');
  }
  const qualified = new Map();
  for (const [d, list] of Object.entries(obj.commitments).sort((a, b) => Number(a[0]) - Number(b[0]))) {
    if (!/^[0-9]+$/.test(d) || Number(d) < 1 || Number(d) > ceremony.n) throw invalid(`Joint key: dealer ${d} is not in the committee.`);
    const coeffs = jsonList(list, 'commitments').map((c) => jsonPoint(c, 'commitment'));
    if (coeffs.length !== ceremony.k) throw invalid(`Joint key: dealer ${d}: expected ${ceremony.k} commitments.`);
    qualified.set(Number(d), coeffs);
  }
  if (qualified.size < ceremony.k) throw invalid(`Joint key: only ${qualified.size} qualified trustees; k = ${ceremony.k}.`);
  const joint = { ceremony, qualified, disqualified: new Map(Object.entries(obj.disqualified ?? {})) };
  if (pointHex(electionKey(joint)) !== manifest.election_key) {
    throw mismatch("The manifest's joint key does not give its election key.");
  }
  return joint;
}

/** trustee_counting.checked_joint_key */
export function checkedElection(state, s) {
  const manifest = state.manifest;
  if (sha256Hex(manifest) !== state.election.fingerprint) throw mismatch("The manifest does not hash to the election's fingerprint.");
  const joint = jointKeyOfManifest(manifest);
  if (!s.fingerprint || !bytesEqual(s.fingerprint, joint.ceremony.fingerprint)) {
    throw mismatch("This key file belongs to another committee's ceremony than this election's.");
  }
  if (s.index !== state.me.index) throw mismatch(`This key file is trustee ${s.index}'s, but you are trustee ${state.me.index}.`);
  if (s.share === null) throw mismatch('This key file holds no key share yet: finish the key ceremony (confirm) first.');
  return joint;
}

/** tally.counted_leaves: per alias its last cast in leaf order, sorted by leaf index. */
function countedLeaves(entries) {
  const last = new Map();
  const leaves = entries.map((e) => ({ leafIndex: jsonInt(e.leaf_index, 'leaf_index', 0, Number.MAX_SAFE_INTEGER),
    kind: String(e.kind), alias: String(e.alias), payload: e.payload }));
  leaves.sort((a, b) => a.leafIndex - b.leafIndex);
  for (const leaf of leaves) if (leaf.kind === 'cast') last.set(leaf.alias, leaf);
  return [...last.values()].sort((a, b) => a.leafIndex - b.leafIndex);
}

/** trustee_counting.recomputed_tally: the encrypted tally from the board, every counted ballot checked. */
export function recomputedTally(state, entries) {
  const posted = state.encrypted_tally;
  if (posted === null || posted === undefined) throw mismatch('The site has posted no encrypted tally.');
  jsonList(entries, 'board entries');
  const fp = state.election.fingerprint;
  const manifest = state.manifest;
  const specs = jsonList(manifest.questions, 'questions').map(questionOf);
  const counted = countedLeaves(entries);
  const K = jsonPoint(manifest.election_key, 'election key');
  const ballots = [];
  const relations = [];
  for (const leaf of counted) {
    try {
      const ballot = ballotOf(leaf.payload);
      relations.push(...ballotRelations(ballot, specs, K, sha256Hex(manifest)));
      ballots.push({ leaf, ballot });
    } catch (exc) {
      throw mismatch(`The ballot at leaf ${leaf.leafIndex} does not verify: ${exc.message}`);
    }
  }
  if (!relationsHold(relations)) {
    for (const { leaf, ballot } of ballots) {
      if (!relationsHold(ballotRelations(ballot, specs, K, sha256Hex(manifest)))) {
        throw mismatch(`The ballot at leaf ${leaf.leafIndex} does not verify: its proof equations do not hold.`);
      }
    }
    throw mismatch("The counted ballots' proofs do not verify together.");
  }
  if (!counted.length) throw invalid('An empty tally has nothing to decrypt.');
  const questions = specs.map((spec, q) => spec.options.map((_, o) => {
    const sum = sumCiphertexts(ballots.map(({ ballot }) => ballot.answers[q].cts[o]));
    return { ciphertext: [pointHex(sum.alpha), pointHex(sum.beta)], bounds: bounds(spec, counted.length) };
  }));
  const ours = { format: TALLY_FORMAT, election: fp, board_size: entries.length, ballots: counted.length,
    counted_leaves: counted.map((l) => l.leafIndex), questions };
  if (canonicalJson(ours) !== canonicalJson(posted)) {
    throw mismatch('The posted encrypted tally is not the sum of the counted ballots on the board; nothing was decrypted.');
  }
  return ours;
}

const tallyCiphertexts = (doc) => doc.questions.map((row) => row.map((opt) => ciphertextOf(opt.ciphertext)));
const positionOf = (fpHex, q, o) => [strictHex(fpHex, 'fingerprint', 32), q, o];

function decryptionChallenge(joint, trustee, position, ct, vk, share, a, b) {
  return challenge(PURPOSE_DECRYPTION, joint.ceremony.fingerprint, [trustee, ...position], [ct.alpha, ct.beta, vk, share], [a, b]);
}

/** tally.make_shares: our partial decryption of every option's ciphertext, with proofs. */
export function decryptionPayload(state, s, joint, doc) {
  const j = s.index;
  if (!joint.qualified.has(j)) throw mismatch(`Trustee ${j} is not in the decrypting committee.`);
  const vk = verificationKey(joint, j);
  if (!baseMul(s.share).equals(vk)) throw mismatch("This key file's share does not match your verification key.");
  const fp = state.election.fingerprint;
  const shares = tallyCiphertexts(doc).map((row, q) => row.map((ct, o) => {
    const d = mul(ct.alpha, s.share);
    const w = randomScalar();
    const a = baseMul(w), b = mul(ct.alpha, w);
    const c = decryptionChallenge(joint, j, positionOf(fp, q, o), ct, vk, d, a, b);
    return { trustee: j, share: pointHex(d), proof: { a: pointHex(a), b: pointHex(b), response: scalarHex(mod(w + c * s.share)) } };
  }));
  return { trustee_index: j, shares };
}

function shareOf(data) {
  const o = jsonObject(data, ['trustee', 'share', 'proof'], 'decryption share');
  const p = jsonObject(o.proof, ['a', 'b', 'response'], 'decryption proof');
  return { trustee: jsonInt(o.trustee, 'trustee', 1, 255), share: jsonPoint(o.share, 'share'), a: jsonPoint(p.a, 'proof a'),
    b: jsonPoint(p.b, 'proof b'), response: jsonScalar(p.response, 'proof response') };
}

function lagrangeAtZero(i, subset) {
  let num = 1n, den = 1n;
  for (const m of subset) {
    if (m === i) continue;
    num = mod(num * BigInt(m));
    den = mod(den * BigInt(m - i));
  }
  let inv = 1n, base = den, e = N - 2n;  // den^(n-2) mod n
  while (e > 0n) { if (e & 1n) inv = mod(inv * base); base = mod(base * base); e >>= 1n; }
  return mod(num * inv);
}

/** The m in [lower, bound] with m·G == point (baby-step giant-step). */
export function discreteLog(point, lower, bound) {
  const span = bound - lower;
  const shifted = point.subtract(baseMul(BigInt(lower)).add(ZERO));
  if (shifted.is0()) return lower;
  const m = Math.max(1, Math.ceil(Math.sqrt(span + 1)));
  const table = new Map();
  let acc = ZERO;
  for (let j = 0; j < m; j++) {
    table.set(acc.is0() ? 'O' : pointHex(acc), j);
    acc = acc.add(G);
  }
  const step = baseMul(BigInt(m));
  let gamma = shifted;
  for (let i = 0; i * m <= span; i++) {
    const j = table.get(gamma.is0() ? 'O' : pointHex(gamma));
    if (j !== undefined && i * m + j <= span) return lower + i * m + j;
    gamma = gamma.subtract(step);
  }
  throw mismatch(`A total has no value in [${lower}, ${bound}].`);
}

/** trustee_counting.checked_result: combine the posted shares here (each verified), compare the result. */
export function checkedResult(state, joint, doc) {
  const fp = state.election.fingerprint;
  const cts = tallyCiphertexts(doc);
  const byTrustee = new Map();
  const entries = Object.entries(state.shares ?? {}).sort((a, b) => Number(a[0]) - Number(b[0]));
  for (const [key, raw] of entries) {
    const t = Number(key);
    if (!joint.qualified.has(t)) throw mismatch(`Trustee ${key} is not in the decrypting committee.`);
    const rows = jsonList(raw, 'shares', cts.length).map((row, q) => jsonList(row, `question ${q} shares`, cts[q].length).map(shareOf));
    const vk = verificationKey(joint, t);
    const rels = [];
    rows.forEach((row, q) => row.forEach((sh, o) => {
      if (sh.trustee !== t) throw mismatch(`Question ${q} option ${o}: the share is trustee ${sh.trustee}'s, not trustee ${t}'s.`);
      const ct = cts[q][o];
      const c = decryptionChallenge(joint, t, positionOf(fp, q, o), ct, vk, sh.share, sh.a, sh.b);
      rels.push([[sh.response, G], [N - c, vk], [N - 1n, sh.a]], [[sh.response, ct.alpha], [N - c, sh.share], [N - 1n, sh.b]]);
    }));
    if (!relationsHold(rels)) throw mismatch(`The decryption shares of trustee ${t} do not verify.`);
    byTrustee.set(t, rows);
  }
  const k = joint.ceremony.k;
  if (byTrustee.size < k) throw mismatch(`${byTrustee.size} trustees' decryption shares are posted; ${k} are needed.`);
  const subset = [...byTrustee.keys()].sort((a, b) => a - b).slice(0, k);
  const lambdas = subset.map((t) => lagrangeAtZero(t, subset));
  const totals = cts.map((row, q) => row.map((ct, o) => {
    const combined = subset.reduce((acc, t, idx) => acc.add(mulPublic(byTrustee.get(t)[q][o].share, lambdas[idx])), ZERO);
    const [low, high] = doc.questions[q][o].bounds;
    return discreteLog(ct.beta.subtract(combined), low, high);
  }));
  const expected = { format: RESULT_FORMAT, election: fp, totals, turnout: doc.ballots,
    roll_size: state.manifest.roll.size };
  const outcome = resultOutcome(state.manifest, expected);  // the manifest's rule, applied here
  if (outcome) Object.assign(expected, { format: RESULT_FORMAT_V2, outcome });
  const posted = Object.fromEntries(resultFields(expected).map((f) => [f, state.result?.[f] ?? null]));
  if (canonicalJson(posted) !== canonicalJson(expected)) {
    throw mismatch(`The posted result differs from the one computed here: totals ${JSON.stringify(totals)}, turnout ${doc.ballots}.`);
  }
  return expected;
}

/** tally.result_message: RFC 8785 canonical JSON of the result document's fields (v2: with the outcome). */
export const resultMessage = (result) => canonicalBytes(Object.fromEntries(resultFields(result).map((f) => [f, result[f]])));
