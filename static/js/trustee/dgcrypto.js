// dgcrypto.js — a trustee's cryptography in the browser, step for step what `dataguild trustee ...`
// does (voting/trustees/cli.py, voting/trustees/client.py, voting/trustees/decrypt.py), with the same
// JSON in and out and the same key-file rewriting. The key file and its passphrase stay in the page:
// nothing here sends anything anywhere; the page POSTs the returned `payload` (public messages only).
//
// Every function is async. Errors are `Error`s whose `name` is one of "WrongPassphrase",
// "CorruptKeyFile", "CeremonyMismatch" (the key file and the committee/election do not belong
// together, or the site's data contradicts itself), "InvalidInput" (malformed or invalid data, or the
// wrong step) or "CryptoError", and whose `message` is a sentence for the trustee.
//
// `secrets` is the opaque object openKeyFile returns (never serialise it; it holds the secret keys).
// `passphrase` is the one the key file was opened with; it is used only to write an encrypted key file
// back encrypted (an unencrypted key file is written back unencrypted, as the CLI does).
//
// Key ceremony — state = GET /api/v1/trustee/committees/<id> (for confirm: ...?all_shares=1):
//   newKeyFile(passphrase)                 -> {keyFile}               `trustee keygen` ("" = --no-passphrase)
//   openKeyFile(text, passphrase)          -> secrets
//   announce(state, secrets, passphrase)   -> {payload, keyFile, secrets}  POST .../announcement
//   deal(state, secrets, passphrase)       -> {payload, keyFile, secrets, checked}  POST .../dealing
//   confirm(state, secrets, passphrase)    -> {payload, keyFile, secrets, stage, ...}
//     stage "confirm": payload for POST .../confirmation, plus acceptedFrom/complaintsAgainst (keyFile null);
//       then GET the state again (?all_shares=1) and call confirm again;
//     stage "waiting": nothing to send (other trustees not done; call again later);
//     stage "stored": keyFile holds the key share (electionKey: the joint key recomputed here);
//     stage "done": the key file already holds its share.
//   keyFile is the new key file text to offer for download *before* POSTing, or null if unchanged.
//   The CLI saves the key file before sending the announcement and the dealing (a re-run of deal
//   reuses the saved polynomial), and after deriving the key share.
//
// Counting — inputs = {state, board[, tally]}: state = GET /api/v1/trustee/elections/<id>/tally (or the
// body a POST there returns), board = the entries of GET /elections/<id>/board.json, following `next`
// (an array of entries, or of the pages themselves):
//   decrypt(inputs, secrets)    -> {payload, checked: {ballots, boardSize, countedLeaves}, tally}
//     payload is for POST .../decryption, or null when this trustee has decrypted already or the
//     election is not tallying; `tally` is the encrypted tally recomputed here (pass it on to signResult).
//   signResult(inputs, secrets) -> {payload, result, stage}
//     stage "sign": payload for POST .../result-signature; "waiting": not decided yet (waitingFor n
//     more trustees); "signed": signed already; "not-a-decryptor": others decrypted, only they sign.
//   Sequence (as `trustee decrypt`): GET tally + board -> decrypt -> POST decryption (if payload) ->
//   with the POST's answer (or a fresh GET) as state: signResult({state, board, tally}) -> POST
//   result-signature (if payload). Before signing, the result is recomputed here from the posted
//   shares (each share's proof checked) and must equal the posted one.
//
// Cost (Node 20, this project's 2-core machine): scrypt n = 2^17 about 1.0–1.4 s per open or rewrite
// (2.2–2.4 s in headless Chromium); decrypt about 1.5 s for a handful of ballots plus ~35 ms per counted
// 3-option ballot (200 ballots: ~8 s), mostly the batched check of the ballots' proofs. The module uses
// no DOM, so a page may run it in a module Web Worker to keep the page responsive.

import { DgError, canonicalJson, invalid, mismatch, pointHex } from './core.js';
import { dumpKeyfile, generateTrustee, loadKeyfile, secretsToJson } from './keyfile.js';
import * as C from './ceremony.js';
import * as K from './counting.js';
import { BLS_KEY_INFO, keygen, popHex, publicKeyHex, signHex } from './bls.js';

export { DgError };

async function guarded(fn) {
  try {
    return await fn();
  } catch (exc) {
    if (exc instanceof DgError) throw exc;
    // A missing field in the site's JSON shows up as a TypeError (its message names no value); any
    // other error's message is not repeated, as a library's message might quote a value it was given.
    if (exc instanceof TypeError) throw new DgError('InvalidInput', `The data is malformed or incomplete (${exc.message}).`);
    throw new DgError('CryptoError', 'The cryptography failed unexpectedly; nothing was sent.');
  }
}

async function rewritten(before, after, passphrase) {
  if (canonicalJson(secretsToJson(before)) === canonicalJson(secretsToJson(after))) return null;
  if (before.sealed && !passphrase) throw invalid('The passphrase is needed to write the key file back encrypted.');
  return dumpKeyfile(after, before.sealed ? passphrase : null);
}

function ceremonyAndSecrets(state, secrets) {
  const ceremony = C.ceremonyOf(state.committee.ceremony);
  return { ceremony, s: C.bindToCeremony(secrets, ceremony, state.me.index) };
}

function expectStep(state, step, what) {
  if (state.me.next_step !== step) {
    throw invalid(`Committee ${state.committee.id} is not waiting for your ${what} (step: ${state.committee.status}).`);
  }
}

export async function newKeyFile(passphrase) {
  return { keyFile: await dumpKeyfile(generateTrustee(1), passphrase || null) };
}

export async function openKeyFile(text, passphrase) {
  return guarded(() => loadKeyfile(text, passphrase));
}

export async function announce(state, secrets, passphrase) {
  return guarded(async () => {
    expectStep(state, 'announce', 'announcement');
    const { ceremony, s } = ceremonyAndSecrets(state, secrets);
    const sk = keygen(s.signingSecret, BLS_KEY_INFO);
    const payload = { announcement: C.announce(ceremony, s), bls_public_key: publicKeyHex(sk), bls_pop: popHex(sk) };
    return { payload, keyFile: await rewritten(secrets, s, passphrase), secrets: { ...s, sealed: secrets.sealed } };
  });
}

export async function deal(state, secrets, passphrase) {
  return guarded(async () => {
    expectStep(state, 'deal', 'dealing');
    const { ceremony, s } = ceremonyAndSecrets(state, secrets);
    const roster = C.checkedRoster(ceremony, state, s);
    const dealt = C.deal(ceremony, s, roster);
    return { payload: dealt.payload, keyFile: await rewritten(secrets, dealt.secrets, passphrase),
      secrets: { ...dealt.secrets, sealed: secrets.sealed }, checked: { announcements: roster.size } };
  });
}

export async function confirm(state, secrets, passphrase) {
  return guarded(async () => {
    const { ceremony, s } = ceremonyAndSecrets(state, secrets);
    const keep = { ...s, sealed: secrets.sealed };
    if (state.me.next_step === 'confirm') {
      const roster = C.checkedRoster(ceremony, state, s);
      const { received, complaints } = C.collectShares(ceremony, s, roster, state);
      return { stage: 'confirm', payload: { complaints }, keyFile: null, secrets: keep,
        acceptedFrom: [...received.keys()].sort((a, b) => a - b),
        complaintsAgainst: complaints.map((c) => c.dealer).sort((a, b) => a - b) };
    }
    const status = state.committee.status;
    if (status === 'failed') throw invalid(`The ceremony failed: ${state.committee.failure_reason}`);
    if (status !== 'ready') return { stage: 'waiting', payload: null, keyFile: null, secrets: keep };
    if (s.share !== null) return { stage: 'done', payload: null, keyFile: null, secrets: keep };
    const roster = C.checkedRoster(ceremony, state, s);
    const joint = C.checkedJointKey(ceremony, roster, state);
    const withShare = C.deriveShare(ceremony, s, roster, state, joint);
    return { stage: 'stored', payload: null, keyFile: await rewritten(secrets, withShare, passphrase),
      secrets: { ...withShare, sealed: secrets.sealed }, electionKey: pointHex(C.electionKey(joint)) };
  });
}

function boardEntries(board) {
  if (!Array.isArray(board)) throw invalid('The board must be a list of entries (board.json pages).');
  return board.flatMap((item) => (item && Array.isArray(item.entries) ? item.entries : [item]));
}

export async function decrypt(inputs, secrets) {
  return guarded(async () => {
    const { state } = inputs;
    if (state.election.state === 'open') {
      throw invalid(`Election ${state.election.id} has not been closed yet: there is no tally to decrypt.`);
    }
    const joint = K.checkedElection(state, secrets);
    const entries = boardEntries(inputs.board);
    const tally = K.recomputedTally(state, entries);
    const checked = { ballots: tally.ballots, boardSize: entries.length, countedLeaves: tally.counted_leaves };
    const due = !state.me.submitted && state.election.state === 'tallying';
    return { payload: due ? K.decryptionPayload(state, secrets, joint, tally) : null, checked, tally };
  });
}

export async function signResult(inputs, secrets) {
  return guarded(async () => {
    const { state } = inputs;
    if (state.election.state !== 'decided') {
      return { stage: 'waiting', payload: null, result: null,
        waitingFor: state.election.threshold - Object.keys(state.shares ?? {}).length };
    }
    const joint = K.checkedElection(state, secrets);
    let tally = inputs.tally;
    if (tally && canonicalJson(tally) !== canonicalJson(state.encrypted_tally)) {
      throw mismatch('The posted encrypted tally changed since it was checked; nothing was signed.');
    }
    if (!tally) tally = K.recomputedTally(state, boardEntries(inputs.board));
    const result = K.checkedResult(state, joint, tally);
    if (!state.me.submitted) return { stage: 'not-a-decryptor', payload: null, result };
    if (state.me.signed) return { stage: 'signed', payload: null, result };
    const signature = signHex(keygen(secrets.signingSecret, BLS_KEY_INFO), K.resultMessage(result));
    return { stage: 'sign', payload: { trustee_index: secrets.index, signature }, result };
  });
}
