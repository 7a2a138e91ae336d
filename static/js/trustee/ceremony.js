// The trustee's side of the key ceremony: a port of voting/crypto/trustees.py (the parts a trustee
// runs) and voting/trustees/client.py. Messages are the same JSON; every check the CLI makes before
// it signs or sends anything is made here too.

import { schnorr } from '../../vendor/noble/noble.js';
import {
  G, N, PROTOCOL_VERSION, baseMul, bytesEqual, canonicalJson, challenge, encode, invalid, jsonInt, jsonList,
  jsonObject, jsonPoint, jsonScalar, mismatch, mod, mul, mulPublic, pointHex, randomBytes, randomScalar, relationsHold,
  scalarBytes, scalarHex, schnorrRelation, strictHex, toHex,
} from './core.js';
import { deriveKeys, encryptionKey, seal, unseal } from './keyfile.js';

export const MAX_TRUSTEES = 255;
const KEY_POK = 'ceremony/encryption-key-pok';
const COEFF_POK = 'ceremony/coefficient-pok';
const SHARE_ENC = 'ceremony/share-encryption';
const COMPLAINT_DLEQ = 'ceremony/complaint-dleq';

const signedMessage = (kind, fp, ...items) => encode(PROTOCOL_VERSION, `sig/${kind}`, fp, ...items);
const bipSign = (s, msg) => toHex(schnorr.sign(msg, s.signingSecret, randomBytes(32)));
function bipVerify(pub, msg, sig) {
  try {
    return schnorr.verify(sig, msg, pub);
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------ parsing (from_json ports)

export function ceremonyOf(data) {
  const obj = jsonObject(data, ['fingerprint', 'n', 'k'], 'ceremony');
  const n = jsonInt(obj.n, 'n', 1, MAX_TRUSTEES);
  return { fingerprint: strictHex(obj.fingerprint, 'fingerprint', 32), n, k: jsonInt(obj.k, 'k', 1, n) };
}
const schnorrProof = (d) => {
  const o = jsonObject(d, ['commitment', 'response'], 'Schnorr proof');
  return { commitment: jsonPoint(o.commitment, 'proof commitment'), response: jsonScalar(o.response, 'response') };
};
function announcementOf(d) {
  const o = jsonObject(d, ['index', 'encryption_key', 'signing_key', 'proof', 'signature'], 'announcement');
  return { index: jsonInt(o.index, 'trustee index', 1, MAX_TRUSTEES), encKey: jsonPoint(o.encryption_key, 'encryption key'),
    signingKey: strictHex(o.signing_key, 'signing key', 32), proof: schnorrProof(o.proof),
    signature: strictHex(o.signature, 'signature', 64) };
}
export function commitmentOf(d) {
  const o = jsonObject(d, ['dealer', 'coefficients', 'proofs', 'signature'], 'dealer commitment');
  const coeffs = jsonList(o.coefficients, 'coefficients').map((c) => jsonPoint(c, 'coefficient commitment'));
  const proofs = jsonList(o.proofs, 'proofs').map(schnorrProof);
  if (!coeffs.length || coeffs.length !== proofs.length) throw invalid('A dealer commitment needs as many proofs as coefficients.');
  return { dealer: jsonInt(o.dealer, 'dealer', 1, MAX_TRUSTEES), coeffs, proofs, signature: strictHex(o.signature, 'signature', 64),
    json: canonicalJson(d) };
}
export function shareOf(d) {
  const o = jsonObject(d, ['dealer', 'recipient', 'ephemeral', 'ciphertext', 'tag', 'signature'], 'encrypted share');
  return { dealer: jsonInt(o.dealer, 'dealer', 1, MAX_TRUSTEES), recipient: jsonInt(o.recipient, 'recipient', 1, MAX_TRUSTEES),
    ephemeral: jsonPoint(o.ephemeral, 'ephemeral key'), ciphertext: strictHex(o.ciphertext, 'ciphertext', 32),
    tag: strictHex(o.tag, 'tag', 32), signature: strictHex(o.signature, 'signature', 64), json: canonicalJson(d) };
}
function complaintOf(d) {
  const o = jsonObject(d, ['dealer', 'recipient', 'shared_point', 'proof', 'signature'], 'complaint');
  const p = jsonObject(o.proof, ['a', 'b', 'response'], 'complaint proof');
  return { dealer: jsonInt(o.dealer, 'dealer', 1, MAX_TRUSTEES), recipient: jsonInt(o.recipient, 'recipient', 1, MAX_TRUSTEES),
    shared: jsonPoint(o.shared_point, 'shared point'), a: jsonPoint(p.a, 'proof a'), b: jsonPoint(p.b, 'proof b'),
    response: jsonScalar(p.response, 'proof response'), signature: strictHex(o.signature, 'signature', 64) };
}

const inCommittee = (c, i) => Number.isInteger(i) && i >= 1 && i <= c.n;
function rosterEntry(roster, i) {
  const a = roster.get(i);
  if (!a) throw invalid(`Trustee ${i} is not on the roster.`);
  return a;
}

// ------------------------------------------------------------------ step 1: announcement

/** bind_to_ceremony: number a fresh key file for this committee; refuse one used for another. */
export function bindToCeremony(secrets, ceremony, index) {
  const fp = secrets.fingerprint;
  if (fp !== null && !bytesEqual(fp, ceremony.fingerprint)) {
    throw mismatch("This key file belongs to another committee's ceremony; make a new key file (one key file per committee).");
  }
  if (fp !== null && secrets.index !== index) {
    throw mismatch(`This key file is trustee ${secrets.index}'s, but you are trustee ${index}.`);
  }
  if (fp === null && (secrets.polynomial.length || secrets.share !== null)) {
    throw mismatch('This key file holds ceremony material but no ceremony fingerprint.');
  }
  return { ...secrets, index, fingerprint: ceremony.fingerprint };
}

export function announce(ceremony, s) {
  if (!inCommittee(ceremony, s.index)) throw invalid(`Trustee ${s.index} is not in the committee 1..${ceremony.n}.`);
  const encKey = encryptionKey(s);
  const signingKey = schnorr.getPublicKey(s.signingSecret);
  const statement = [ceremony.n, ceremony.k, signingKey, encKey];
  const w = randomScalar();
  const h = baseMul(w);
  const c = challenge(KEY_POK, ceremony.fingerprint, [s.index], statement, [h]);
  const u = mod(w + c * s.encryptionSecret);
  const msg = signedMessage('announcement', ceremony.fingerprint, ceremony.n, ceremony.k, s.index, encKey, signingKey, h, u);
  return { index: s.index, encryption_key: pointHex(encKey), signing_key: toHex(signingKey),
    proof: { commitment: pointHex(h), response: scalarHex(u) }, signature: bipSign(s, msg) };
}

/** check_roster + "ours is ours": every announcement verified, one per trustee, distinct keys. */
export function checkedRoster(ceremony, state, s) {
  const roster = new Map();
  for (const raw of jsonList(state.announcements, 'announcements')) {
    const a = announcementOf(raw);
    if (!inCommittee(ceremony, a.index)) throw invalid(`Trustee ${a.index} is not in the committee 1..${ceremony.n}.`);
    const rel = schnorrRelation(KEY_POK, ceremony.fingerprint, [a.index], [ceremony.n, ceremony.k, a.signingKey, a.encKey],
      a.encKey, a.proof);
    if (!relationsHold([rel])) throw invalid(`Trustee ${a.index}: the proof of knowledge of the encryption key fails.`);
    const msg = signedMessage('announcement', ceremony.fingerprint, ceremony.n, ceremony.k, a.index, a.encKey, a.signingKey,
      a.proof.commitment, a.proof.response);
    if (!bipVerify(a.signingKey, msg, a.signature)) throw invalid(`Trustee ${a.index}: the announcement signature does not verify.`);
    if (roster.has(a.index)) throw invalid(`Trustee ${a.index} announced twice.`);
    roster.set(a.index, a);
  }
  const missing = [];
  for (let i = 1; i <= ceremony.n; i++) if (!roster.has(i)) missing.push(i);
  if (missing.length) throw invalid(`No announcement from trustee(s) ${missing.join(', ')} yet.`);
  const all = [...roster.values()];
  if (new Set(all.map((a) => pointHex(a.encKey))).size !== ceremony.n
      || new Set(all.map((a) => toHex(a.signingKey))).size !== ceremony.n) {
    throw invalid('Two trustees announced the same key.');
  }
  if (!rosterEntry(roster, s.index).encKey.equals(encryptionKey(s))) {
    throw mismatch(`The site's announcement of trustee ${s.index} is not from this key file.`);
  }
  return roster;
}

// ------------------------------------------------------------------ step 2: dealing

export function evaluatePolynomial(coeffs, x) {
  let acc = 0n;
  for (let i = coeffs.length - 1; i >= 0; i--) acc = mod(acc * BigInt(x) + coeffs[i]);
  return acc;
}

const shareKeys = (c, dealer, recipient, ephemeral, recipientKey, shared) =>
  deriveKeys(encode(shared, ephemeral, recipientKey, c.fingerprint, dealer, recipient), SHARE_ENC);
const shareAad = (c, dealer, recipient) => encode('share', c.fingerprint, dealer, recipient);

/** T.deal: draw (or on a re-run reuse) the polynomial; commitments with proofs; shares sealed and signed. */
export function deal(ceremony, s, roster) {
  const fp = ceremony.fingerprint;
  const reuse = s.fingerprint !== null && bytesEqual(s.fingerprint, fp) && s.polynomial.length === ceremony.k;
  const poly = reuse ? s.polynomial : Array.from({ length: ceremony.k }, randomScalar);
  const coeffs = poly.map(baseMul);
  const proofs = poly.map((a, idx) => {
    const w = randomScalar();
    const h = baseMul(w);
    const c = challenge(COEFF_POK, fp, [s.index, idx], [ceremony.n, ceremony.k, coeffs[idx]], [h]);
    return { commitment: h, response: mod(w + c * a) };
  });
  const msg = signedMessage('commitment', fp, s.index, coeffs, proofs.map((p) => [p.commitment, p.response]));
  const commitment = { dealer: s.index, coefficients: coeffs.map(pointHex),
    proofs: proofs.map((p) => ({ commitment: pointHex(p.commitment), response: scalarHex(p.response) })),
    signature: bipSign(s, msg) };
  const shares = [];
  for (let j = 1; j <= ceremony.n; j++) {
    if (j === s.index) continue;
    const r = randomScalar();
    const ephemeral = baseMul(r);
    const recipientKey = rosterEntry(roster, j).encKey;
    const keys = shareKeys(ceremony, s.index, j, ephemeral, recipientKey, mul(recipientKey, r));
    const { ciphertext, tag } = seal(keys, scalarBytes(evaluatePolynomial(poly, j)), shareAad(ceremony, s.index, j));
    const sig = bipSign(s, signedMessage('encrypted-share', fp, s.index, j, ephemeral, ciphertext, tag));
    shares.push({ dealer: s.index, recipient: j, ephemeral: pointHex(ephemeral), ciphertext: toHex(ciphertext),
      tag: toHex(tag), signature: sig });
  }
  return { secrets: { ...s, fingerprint: fp, polynomial: poly, share: null }, payload: { commitment, shares } };
}

// ------------------------------------------------------------------ step 3: checking shares, complaints

/** DealerCommitment.verify: signature by the dealer's announced key, then every coefficient's proof. */
export function commitmentValid(ceremony, roster, com) {
  if (!inCommittee(ceremony, com.dealer) || com.coeffs.length !== ceremony.k) return false;
  const msg = signedMessage('commitment', ceremony.fingerprint, com.dealer, com.coeffs,
    com.proofs.map((p) => [p.commitment, p.response]));
  if (!roster.has(com.dealer) || !bipVerify(roster.get(com.dealer).signingKey, msg, com.signature)) return false;
  return relationsHold(com.coeffs.map((coeff, idx) => schnorrRelation(COEFF_POK, ceremony.fingerprint, [com.dealer, idx],
    [ceremony.n, ceremony.k, coeff], coeff, com.proofs[idx])));
}

export function shareSignatureValid(ceremony, roster, sh) {
  if (!inCommittee(ceremony, sh.dealer) || !inCommittee(ceremony, sh.recipient) || sh.dealer === sh.recipient) return false;
  if (!roster.has(sh.dealer)) return false;
  const msg = signedMessage('encrypted-share', ceremony.fingerprint, sh.dealer, sh.recipient, sh.ephemeral, sh.ciphertext, sh.tag);
  return bipVerify(roster.get(sh.dealer).signingKey, msg, sh.signature);
}

/** _open_share: the value, or null if it does not decrypt or does not match the commitments. */
export function openShare(ceremony, com, sh, keys) {
  const plain = unseal(keys, sh.ciphertext, sh.tag, shareAad(ceremony, sh.dealer, sh.recipient));
  if (plain === null) return null;
  const value = BigInt('0x' + toHex(plain));
  if (value >= N) return null;
  const powers = com.coeffs.map((_, idx) => BigInt(sh.recipient) ** BigInt(idx) % N);
  const expected = powers.reduce((acc, p, idx) => acc.add(mulPublic(com.coeffs[idx], p)), mul(G, 0));
  return baseMul(value).equals(expected) ? value : null;
}

function receiveShare(ceremony, s, com, sh) {
  const shared = mul(sh.ephemeral, s.encryptionSecret);
  return openShare(ceremony, com, sh, shareKeys(ceremony, sh.dealer, sh.recipient, sh.ephemeral, encryptionKey(s), shared));
}

function complain(ceremony, s, sh) {
  const e = s.encryptionSecret;
  const shared = mul(sh.ephemeral, e);
  const w = randomScalar();
  const a = baseMul(w), b = mul(sh.ephemeral, w);
  const c = challenge(COMPLAINT_DLEQ, ceremony.fingerprint, [sh.dealer, s.index],
    [encryptionKey(s), sh.ephemeral, shared, sh.ciphertext, sh.tag], [a, b]);
  const u = mod(w + c * e);
  const sig = bipSign(s, signedMessage('complaint', ceremony.fingerprint, sh.dealer, s.index, shared, a, b, u));
  return { dealer: sh.dealer, recipient: s.index, shared_point: pointHex(shared),
    proof: { a: pointHex(a), b: pointHex(b), response: scalarHex(u) }, signature: sig };
}

/** collect_shares: every valid share addressed to us, and a complaint for each bad one. */
export function collectShares(ceremony, s, roster, state) {
  const byDealer = new Map();
  for (const raw of jsonList(state.commitments, 'commitments')) {
    const com = commitmentOf(raw);
    if (commitmentValid(ceremony, roster, com) && !byDealer.has(com.dealer)) byDealer.set(com.dealer, com);
  }
  const received = new Map();
  const complaints = [];
  for (const raw of jsonList(state.shares_to_me, 'shares_to_me')) {
    const sh = shareOf(raw);
    if (sh.recipient !== s.index || !byDealer.has(sh.dealer) || !shareSignatureValid(ceremony, roster, sh)) continue;
    const value = receiveShare(ceremony, s, byDealer.get(sh.dealer), sh);
    if (value === null) complaints.push(complain(ceremony, s, sh));
    else received.set(sh.dealer, value);
  }
  return { received, complaints };
}

// ------------------------------------------------------------------ the joint key, our key share

/** adjudicate_complaint: true (dealer at fault), false (share valid), null (complaint invalid). */
function dealerAtFault(ceremony, roster, com, sh, cp) {
  if (cp.dealer !== sh.dealer || cp.recipient !== sh.recipient || com.dealer !== sh.dealer) return null;
  if (!shareSignatureValid(ceremony, roster, sh) || !roster.has(cp.recipient)) return null;
  const rkey = roster.get(cp.recipient).encKey;
  const msg = signedMessage('complaint', ceremony.fingerprint, cp.dealer, cp.recipient, cp.shared, cp.a, cp.b, cp.response);
  if (!bipVerify(roster.get(cp.recipient).signingKey, msg, cp.signature)) return null;
  const c = challenge(COMPLAINT_DLEQ, ceremony.fingerprint, [cp.dealer, cp.recipient],
    [rkey, sh.ephemeral, cp.shared, sh.ciphertext, sh.tag], [cp.a, cp.b]);
  if (!relationsHold([[[cp.response, G], [N - c, rkey], [N - 1n, cp.a]],
    [[cp.response, sh.ephemeral], [N - c, cp.shared], [N - 1n, cp.b]]])) return null;
  if (com.coeffs.length !== ceremony.k) return true;
  const keys = shareKeys(ceremony, sh.dealer, sh.recipient, sh.ephemeral, rkey, cp.shared);
  return openShare(ceremony, com, sh, keys) === null;
}

/** finalize_ceremony: the qualified dealers' commitments and the disqualified dealers (reasons in short). */
export function finalizeCeremony(ceremony, roster, commitments, shares, complaints) {
  const reasons = new Map();
  const byDealer = new Map();
  for (const com of commitments) {
    if (!inCommittee(ceremony, com.dealer)) throw invalid(`Dealer ${com.dealer} is not in the committee.`);
    if (byDealer.has(com.dealer) && byDealer.get(com.dealer).json !== com.json) {
      if (!reasons.has(com.dealer)) reasons.set(com.dealer, 'published two different commitments');
    }
    if (!byDealer.has(com.dealer)) byDealer.set(com.dealer, com);
  }
  for (const [dealer, com] of byDealer) {
    if (!commitmentValid(ceremony, roster, com) && !reasons.has(dealer)) reasons.set(dealer, 'invalid commitment');
  }
  const shareMap = new Map();
  for (const sh of shares) {
    if (!shareSignatureValid(ceremony, roster, sh)) continue;
    const key = `${sh.dealer}:${sh.recipient}`;
    if (shareMap.has(key) && shareMap.get(key).json !== sh.json && !reasons.has(sh.dealer)) {
      reasons.set(sh.dealer, `sent two different shares to trustee ${sh.recipient}`);
    }
    if (!shareMap.has(key)) shareMap.set(key, sh);
  }
  for (let d = 1; d <= ceremony.n; d++) {
    if (!byDealer.has(d) && !reasons.has(d)) reasons.set(d, 'no commitment');
    for (let j = 1; j <= ceremony.n; j++) {
      if (j !== d && !shareMap.has(`${d}:${j}`) && !reasons.has(d)) reasons.set(d, 'missing signed shares');
    }
  }
  for (const cp of complaints) {
    const sh = shareMap.get(`${cp.dealer}:${cp.recipient}`);
    if (!byDealer.has(cp.dealer) || !sh) continue;
    if (dealerAtFault(ceremony, roster, byDealer.get(cp.dealer), sh, cp) === true && !reasons.has(cp.dealer)) {
      reasons.set(cp.dealer, `upheld complaint of trustee ${cp.recipient}`);
    }
  }
  const qualified = new Map();
  for (let d = 1; d <= ceremony.n; d++) if (!reasons.has(d)) qualified.set(d, byDealer.get(d).coeffs);
  if (qualified.size < ceremony.k) throw mismatch(`Only ${qualified.size} of ${ceremony.n} trustees qualified; k = ${ceremony.k}.`);
  return { qualified, disqualified: reasons };
}

/** The site's joint key, recomputed here from every public ceremony message (checked_joint_key). */
export function checkedJointKey(ceremony, roster, state) {
  if (!Array.isArray(state.encrypted_shares)) {
    throw invalid('The committee state must be fetched with ?all_shares=1 to store the key share.');
  }
  const site = jsonObject(state.joint_key, ['ceremony', 'commitments', 'disqualified'], 'joint key');
  const sc = ceremonyOf(site.ceremony);
  if (!bytesEqual(sc.fingerprint, ceremony.fingerprint) || sc.n !== ceremony.n || sc.k !== ceremony.k) {
    throw mismatch("The site's joint key is for another ceremony.");
  }
  const ours = finalizeCeremony(ceremony, roster, jsonList(state.commitments, 'commitments').map(commitmentOf),
    state.encrypted_shares.map(shareOf), jsonList(state.complaints, 'complaints').map((c) => complaintOf(c.complaint)));
  const oursCommitments = Object.fromEntries([...ours.qualified].map(([d, cs]) => [String(d), cs.map(pointHex)]));
  if (canonicalJson(oursCommitments) !== canonicalJson(site.commitments)
      || canonicalJson([...ours.disqualified.keys()].map(String).sort()) !== canonicalJson(Object.keys(site.disqualified).sort())) {
    throw mismatch("The site's joint key differs from the one computed here from the ceremony messages.");
  }
  return ours;
}

/** derive_share: s_j = Σ_{i∈QUAL} f_i(j), checked against our verification key. */
export function deriveShare(ceremony, s, roster, state, joint) {
  const j = s.index;
  if (!joint.qualified.has(j)) throw mismatch(`Trustee ${j} is not in the decrypting committee: ${joint.disqualified.get(j) ?? 'not qualified'}.`);
  const commitments = new Map(jsonList(state.commitments, 'commitments').map(commitmentOf).map((c) => [c.dealer, c]));
  let total = 0n;
  for (const [dealer] of joint.qualified) {
    if (dealer === j) {
      if (!s.fingerprint || !bytesEqual(s.fingerprint, ceremony.fingerprint) || !s.polynomial.length) {
        throw mismatch(`Trustee ${j}: this key file has no polynomial for this ceremony.`);
      }
      total += evaluatePolynomial(s.polynomial, j);
      continue;
    }
    const raw = jsonList(state.shares_to_me, 'shares_to_me').map(shareOf).find((sh) => sh.dealer === dealer);
    if (!raw || raw.recipient !== j) throw invalid(`No share from qualified dealer ${dealer} was sent to you.`);
    if (!commitments.has(dealer)) throw invalid(`The site sent no commitment of qualified dealer ${dealer}.`);
    if (!shareSignatureValid(ceremony, roster, raw) || !commitmentValid(ceremony, roster, commitments.get(dealer))) {
      throw invalid(`The share from dealer ${dealer} does not verify.`);
    }
    const value = receiveShare(ceremony, s, commitments.get(dealer), raw);
    if (value === null) throw invalid(`The share from dealer ${dealer} does not match its commitments.`);
    total += value;
  }
  total = mod(total);
  const vk = verificationKey(joint, j);
  if (!baseMul(total).equals(vk)) throw mismatch(`Trustee ${j}: the derived share does not match its verification key.`);
  return { ...s, share: total };
}

/** S_j = Σ_{i∈QUAL} Σ_l j^l·C_il */
export function verificationKey(joint, j) {
  let acc = mul(G, 0);
  for (const coeffs of joint.qualified.values()) {
    coeffs.forEach((C, l) => { acc = acc.add(mulPublic(C, BigInt(j) ** BigInt(l) % N)); });
  }
  return acc;
}

export const electionKey = (joint) => [...joint.qualified.values()].reduce((acc, cs) => acc.add(cs[0]), mul(G, 0));
