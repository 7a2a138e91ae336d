// The trustee desk's step pages (templates/voting/trustee_desk_*.html; docs/trustees.md, "The trustee desk").
//
// Each page has one form#trustee-step whose data- attributes say the step, the API addresses and the CSRF
// token. This module reads the key file (FileReader) and the passphrase inside the page — their inputs have
// no name, so the browser can never submit them — runs the step's function of dgcrypto.js, and sends only
// what that function returns as the payload to the trustee JSON API, with the session cookie and the
// X-CSRFToken header: the same requests, in the same order, as `dataguild trustee <step>`.
// When a step changes the key file, the new file is offered for download and must be saved (the trustee
// ticks a box) before anything is sent, as the commands write the key file before they send.
// No inline script is needed (works under a Content-Security-Policy of script-src 'self').

import * as dg from './dgcrypto.js';

const KNOWN_ERRORS = new Set(['WrongPassphrase', 'CorruptKeyFile', 'CeremonyMismatch', 'InvalidInput', 'CryptoError']);
const MAX_KEY_FILE_BYTES = 1_000_000;
const STEP_WORDS = {
  announce: 'your announcement', deal: 'your dealing', confirm: 'your confirmation',
};
const NEXT_WORDS = {
  announce: 'step 1: announce your keys', deal: 'step 2: deal your shares',
  confirm: 'step 3: check the shares sent to you',
};

const $ = (id) => document.getElementById(id);

/** An error meant for the trustee as it is (its message is a full sentence). */
class Refusal extends Error {
  constructor(message) {
    super(message);
    this.name = 'Refusal';
  }
}

// ------------------------------------------------------------------ talking to the page

function clearMessages() {
  $('trustee-progress').replaceChildren();
  const error = $('trustee-error');
  error.hidden = true;
  error.replaceChildren();
}

function say(text, link) {
  const p = document.createElement('p');
  p.textContent = text;
  if (link) {
    p.append(' ');
    const a = document.createElement('a');
    a.href = link.href;
    a.textContent = link.text;
    p.append(a);
  }
  $('trustee-progress').append(p);
}

function fail(error, sent) {
  const box = $('trustee-error');
  const p = document.createElement('p');
  let text;
  if (error instanceof Refusal || KNOWN_ERRORS.has(error && error.name)) {
    text = error.message;
  } else {
    text = `Something went wrong in this page: ${error && error.message ? error.message : error}.`;
  }
  p.textContent = sent ? text : `${text} Nothing was sent to the site.`;
  box.replaceChildren(p);
  box.hidden = false;
}

const desk = (form) => ({ href: form.dataset.deskUrl, text: 'Back to the trustee desk' });

// ------------------------------------------------------------------ the key file and the site

function readKeyFile(input) {
  const file = input.files && input.files[0];
  if (!file) return Promise.reject(new Refusal('Choose your key file first.'));
  if (file.size > MAX_KEY_FILE_BYTES) {
    return Promise.reject(new Refusal('This file is too large to be a key file; choose your key file.'));
  }
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(new Refusal('Your browser could not read the key file; choose it again.'));
    reader.readAsText(file, 'utf-8');
  });
}

async function api(form, method, url, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['X-CSRFToken'] = form.dataset.csrf;
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new Refusal(`The site could not be reached (${error.message}); check your connection and try again.`);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = null;
  }
  if (response.status === 401) {
    throw new Refusal('You are no longer signed in. Sign in again (in another tab, then come back) and retry.');
  }
  if (!response.ok) {
    const message = data && data.error && data.error.message ? data.error.message : response.statusText;
    throw new Refusal(`The site refused the request (HTTP ${response.status}): ${message}`);
  }
  if (data === null) throw new Refusal('The site\'s answer is not JSON; reload the page and try again.');
  return data;
}

/** Every entry of the election's public board, following its pages. */
async function boardEntries(form) {
  const entries = [];
  let url = form.dataset.boardUrl;
  for (let pages = 0; url; pages++) {
    if (pages > 100000) throw new Refusal('The board has too many pages.');
    const page = await api(form, 'GET', url);
    entries.push(...page.entries);
    if (!page.next) break;
    // Only the path is followed: every request stays on this page's own site, whatever host or scheme
    // the site believes it has (behind a proxy it may name http:// on an https:// page).
    const next = new URL(page.next, window.location.href);
    url = next.pathname + next.search;
  }
  return entries;
}

// ------------------------------------------------------------------ saving the key file

let downloadUrl = null;

function offerKeyFile(form, text) {
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = $('trustee-download');
  link.href = downloadUrl;
  link.download = form.dataset.keyFile;
  $('trustee-save').hidden = false;
  link.focus();
}

/** Resolves when the trustee has ticked "I have saved it" and pressed Send. */
function savedAndSend() {
  const box = $('trustee-saved');
  const send = $('trustee-send');
  box.checked = false;
  send.disabled = true;
  return new Promise((resolve) => {
    box.onchange = () => { send.disabled = !box.checked; };
    send.onclick = () => {
      if (!box.checked) return;
      send.disabled = true;
      box.onchange = null;
      send.onclick = null;
      resolve();
    };
  });
}

// ------------------------------------------------------------------ the steps

async function ceremonyStep(form, secrets, passphrase, progress) {
  const step = form.dataset.step;
  say('Fetching the committee\'s state from the site…');
  const state = await api(form, 'GET', form.dataset.stateUrl);
  if (state.me.next_step !== step) {  // dgcrypto refuses too; this says what to do instead
    const next = state.me.next_step ? ` Your next step is ${NEXT_WORDS[state.me.next_step]}.` : '';
    throw new Refusal(`The committee is not waiting for ${STEP_WORDS[step]} (it is in the `
      + `${state.committee.status} step).${next}`);
  }
  say(step === 'announce' ? 'Preparing your announcement…'
    : 'Checking every trustee\'s announcement and preparing your dealing…');
  const result = await dg[step](state, secrets, passphrase);
  if (result.keyFile) {
    offerKeyFile(form, result.keyFile);
    say('Your key file changed. Download it and keep it, then tick the box and send.');
    await savedAndSend();
  }
  say('Sending to the site…');
  progress.sent = true;
  const answer = await api(form, 'POST', form.dataset.postUrl, result.payload);
  const verb = step === 'announce' ? `Announced as trustee ${state.me.index}.`
    : `Sent your commitment and ${result.payload.shares.length} encrypted shares.`;
  const next = answer.committee.next_step;
  say(`${verb} ${next ? `Next: ${NEXT_WORDS[next]}.` : 'The other trustees are on this step now; the trustee desk '
    + 'shows when it is your turn again.'}`, desk(form));
}

async function confirmStep(form, secrets, passphrase, progress) {
  say('Fetching the committee\'s state from the site…');
  const allShares = `${form.dataset.stateUrl}?all_shares=1`;
  let state = await api(form, 'GET', allShares);
  let step = await dg.confirm(state, secrets, passphrase);
  if (step.stage === 'confirm') {
    say('Decrypting and checking the shares sent to you… done.');
    if (step.keyFile) {
      offerKeyFile(form, step.keyFile);
      say('Your key file changed. Download it and keep it, then tick the box and send.');
      await savedAndSend();
    }
    say('Sending your confirmation…');
    progress.sent = true;
    await api(form, 'POST', form.dataset.postUrl, step.payload);
    const against = step.complaintsAgainst || [];
    say(against.length ? `Sent: ${step.acceptedFrom.length} share(s) good; complained about the share(s) of trustee(s) `
      + `${against.join(', ')} (the site has judged the complaints: see the committee page).`
      : `Sent: all ${step.acceptedFrom.length} share(s) sent to you checked out.`);
    state = await api(form, 'GET', allShares);
    step = await dg.confirm(state, step.secrets, passphrase);
  }
  if (step.stage === 'waiting') {
    say('Waiting for the other trustees. Come back to this page when the committee is ready, to store your key '
      + 'share in your key file (step 4).', desk(form));
    return;
  }
  if (step.stage === 'done') {
    say('Your key share is already in this key file. Nothing to do.', desk(form));
    return;
  }
  offerKeyFile(form, step.keyFile);
  $('trustee-saved').closest('label').hidden = true;
  $('trustee-send').hidden = true;
  say(`The committee is ready (election key ${step.electionKey}, recomputed here from the ceremony messages). `
    + 'Your key share is in the updated key file: download it and keep it, with a copy on a separate medium. '
    + 'It is needed to count every election of this committee. Nothing was sent.');
}

async function decryptStep(form, secrets, progress) {
  say('Fetching the election\'s tally from the site…');
  let state = await api(form, 'GET', form.dataset.tallyUrl);
  const status = state.election.state;
  if (status === 'open') throw new Refusal('This election has not been closed yet: there is no tally to decrypt.');
  if (status === 'cancelled') throw new Refusal('This election was closed uncounted: there is nothing to decrypt.');
  say('Reading every ballot on the public board…');
  const board = await boardEntries(form);
  say(`Checking the proofs of the counted ballots and recomputing the encrypted tally (${board.length} board `
    + 'entries); this can take a while…');
  const decrypted = await dg.decrypt({ state, board }, secrets);
  say(`The encrypted tally is the sum of the ${decrypted.checked.ballots} counted ballot(s) on the board `
    + '(recomputed here).');
  if (decrypted.payload) {
    say('Sending your partial decryptions…');
    progress.sent = true;
    state = await api(form, 'POST', form.dataset.decryptionUrl, decrypted.payload);
    say('Your partial decryptions are posted.');
  }
  const signing = await dg.signResult({ state, board, tally: decrypted.tally }, secrets);
  const result = form.dataset.resultUrl ? { href: form.dataset.resultUrl, text: 'The result' } : undefined;
  if (signing.stage === 'waiting') {
    say(`Waiting for ${signing.waitingFor} more trustee(s). Come back to this page once the result is decided, to `
      + 'co-sign it.', desk(form));
    return;
  }
  say(`Result checked here from the posted decryptions: totals ${JSON.stringify(signing.result.totals)}, turnout `
    + `${signing.result.turnout} of ${signing.result.roll_size}.`);
  if (signing.stage === 'not-a-decryptor') {
    say('Other trustees decrypted this election; only they sign its result.', result);
    return;
  }
  if (signing.stage === 'signed') {
    say('You have signed this result already.', result);
    return;
  }
  say('Sending your signature…');
  progress.sent = true;
  const answer = await api(form, 'POST', form.dataset.signatureUrl, signing.payload);
  say(`Result co-signed; the certificate now has the signatures of trustee(s) ${answer.certificate.signers.join(', ')}.`,
    result);
}

async function keygenStep(form) {
  const first = $('trustee-passphrase');
  const again = $('trustee-passphrase-again');
  if (!first.value) throw new Refusal('Choose a passphrase for the key file.');
  if (first.value !== again.value) throw new Refusal('The two passphrases differ; type the same one twice.');
  say('Making fresh keys in your browser…');
  const made = await dg.newKeyFile(first.value);
  first.value = '';
  again.value = '';
  offerKeyFile(form, made.keyFile);
  say('Your key file is ready: download it and keep it safe (nothing was sent to the site). Next: announce your '
    + 'keys with it.', { href: form.dataset.announceUrl, text: 'Step 1: announce' });
}

// ------------------------------------------------------------------ wiring

async function run(form) {
  const step = form.dataset.step;
  const progress = { sent: false };
  if (step === 'keygen') {
    await keygenStep(form);
    return;
  }
  const fileInput = $('trustee-key-file');
  const passphraseInput = $('trustee-passphrase');
  const text = await readKeyFile(fileInput);
  const passphrase = passphraseInput.value;
  say('Opening your key file…');
  let secrets = await dg.openKeyFile(text, passphrase);
  try {
    if (step === 'confirm') await confirmStep(form, secrets, passphrase, progress);
    else if (step === 'decrypt') await decryptStep(form, secrets, progress);
    else await ceremonyStep(form, secrets, passphrase, progress);
  } catch (error) {
    error.sent = progress.sent;
    throw error;
  } finally {
    secrets = null;
    passphraseInput.value = '';
  }
}

function start() {
  const form = $('trustee-step');
  if (!form) return;
  document.querySelectorAll('[data-js-missing]').forEach((element) => { element.hidden = true; });
  form.hidden = false;
  const button = $('trustee-run');
  let busy = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    button.disabled = true;
    clearMessages();
    const save = $('trustee-save');
    if (save && form.dataset.step !== 'keygen') {
      save.hidden = true;
      $('trustee-saved').closest('label').hidden = false;
      $('trustee-send').hidden = false;
    }
    try {
      await run(form);
    } catch (error) {
      fail(error, Boolean(error && error.sent));
    } finally {
      busy = false;
      button.disabled = false;
    }
  });
}

start();
