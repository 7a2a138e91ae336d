// The secret ballot page: the member's choices are encrypted here, on the member's device, and only the
// encrypted ballot leaves the browser. Flow (Benaloh's cast-or-audit): read the choices, check them,
// encrypt and prove (static/js/ballot/encrypt.js), show the tracking code and ask "cast or audit?".
// Cast: post the ballot, check the server's BIP-340 receipt (signed by the manifest's receipt key, for
// this election, with the tracking code computed here) and only then say it is recorded. Audit: post
// the ballot with its randomness revealed (never counted), then encrypt afresh and ask again.
//
// The choice inputs of a secret ballot have no name attribute, so no form submission can carry them;
// the page's CSRF token goes in the X-CSRFToken header. Nothing here logs a choice or a secret.

import { auditReveal, ballotSpecs, checkChoices, checkManifest, checkReceipt, encryptBallotAsync }
  from './encrypt.js';

const form = document.querySelector('form[data-secret-ballot]');
const sealedPanel = document.getElementById('ballot-sealed');
const statusBox = document.getElementById('ballot-status');
const alertBox = document.getElementById('ballot-alert');

function say(box, html) {
  box.replaceChildren();
  if (html) box.append(...html);
}

function paragraph(text, strong) {
  const p = document.createElement('p');
  if (strong) {
    const b = document.createElement('strong');
    b.textContent = strong;
    p.append(b, ' ');
  }
  p.append(text);
  return p;
}

function link(href, text) {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  return a;
}

function warn(strong, text, ...more) {
  const box = document.createElement('div');
  box.className = 'alert alert-error';
  box.append(paragraph(text, strong), ...more);
  say(alertBox, [box]);
  box.scrollIntoView({ block: 'center' });
}

function inform(text, ...more) {
  say(statusBox, [paragraph(text), ...more]);
}

/** One list of integers per question, read from the inputs (q0, q0-o1, ... as on the open form). */
function readChoices(specs) {
  return specs.map((spec, q) => spec.options.map((_, i) => {
    const option = document.getElementById(`q${q}-o${i}`);
    if (!option) return 0;
    if (option.type === 'radio' || option.type === 'checkbox') return option.checked ? 1 : 0;
    const text = String(option.value).trim().replace('\u2212', '-');
    return /^-?\d+$/.test(text) ? Number(text) : text;  // checkChoices names a value that is not a number
  }));
}

/** Why the choices do not fit, in the words the server uses for open ballots
 * (voting.elections.client.check_choices), or null when they fit. */
function explain(specs, choices) {
  for (const [q, spec] of specs.entries()) {
    const values = choices[q];
    if (!values.every((v) => Number.isInteger(v))) return 'Give one whole number per option.';
    if (spec.kind === 'choice') {
      const chosen = values.reduce((a, v) => a + v, 0);
      const [lo, hi] = [spec.min, spec.max];
      if (chosen < lo || chosen > hi) {
        if (lo === 1 && hi === 1) return chosen === 0 ? 'Choose one option.' : `Choose only one option; this ballot has ${chosen}.`;
        const wanted = lo === hi ? `exactly ${lo}` : `between ${lo} and ${hi}`;
        return `Choose ${wanted} option${hi !== 1 ? 's' : ''}; this ballot has ${chosen}.`;
      }
    } else {
      const high = spec.range[1];
      for (const [i, v] of values.entries()) {
        const label = { for: 'For', against: 'Against' }[spec.options[i]] || spec.options[i];
        if (v < 0 && !spec.allowNegative) return `Negative votes are not allowed on this ballot (“${label}” has ${v}).`;
        if (Math.abs(v) > high) {
          return `“${label}” has ${v} votes, which would cost ${v * v} voice credits; one option can have at most `
            + `${high} votes with a budget of ${spec.budget}.`;
        }
      }
      const spent = values.reduce((a, v) => a + v * v, 0);
      if (spent > spec.budget) {
        return `Over budget: this ballot spends ${spent} voice credits and the budget is ${spec.budget}. Take away `
          + `${spent - spec.budget} credits' worth of votes.`;
      }
    }
  }
  return null;
}

function csrfToken() {
  const field = form.querySelector('input[name="csrf_token"]');
  return field ? field.value : '';
}

async function post(body) {
  const response = await fetch(form.dataset.castUrl, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken(), Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  let data = {};
  try { data = await response.json(); } catch { data = { error: `The site answered ${response.status}.` }; }
  return { ok: response.ok, status: response.status, data };
}

/** Compare the voting code this site serves now with the SHA-256 the election's manifest fixed when it
 * opened (client_scripts), and say so when they differ: an update since, or code an observer should see. */
async function checkServedCode(manifest) {
  const fixed = manifest.client_scripts || {};
  const changed = [];
  for (const [name, expected] of Object.entries(fixed)) {
    const response = await fetch(new URL(name, new URL(form.dataset.staticUrl, window.location.href)),
      { credentials: 'same-origin' });
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await response.arrayBuffer()));
    const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
    if (hex !== expected) changed.push(name);
  }
  if (changed.length) {
    const notice = document.getElementById('ballot-code');
    notice.hidden = false;
    notice.textContent = `The voting code this site serves now (${changed.join(', ')}) differs from the code `
      + 'fixed in this election\'s manifest when voting opened. It may be an ordinary update; the manifest lists '
      + 'the hashes observers can compare (docs/ballots.md). You can also vote with the command-line client.';
  }
}

async function start() {
  if (!form) return;
  document.querySelectorAll('[data-js-missing]').forEach((element) => { element.hidden = true; });
  const fetched = await fetch(form.dataset.manifestUrl, { credentials: 'same-origin' });
  const manifest = await fetched.json();
  try {
    checkManifest(manifest, form.dataset.fingerprint);
  } catch {
    form.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    warn('Do not vote on this page.', 'The election manifest this page carries does not hash to the election\'s '
      + 'fingerprint, so your ballot could be encrypted for something other than this election. Tell the '
      + 'observers or a steward, and vote with the command-line client meanwhile.');
    return;
  }
  checkServedCode(manifest).catch(() => {});  // a notice only; never blocks voting
  const specs = ballotSpecs(manifest);
  let sealed = null;  // {ballot, secrets, trackingCode} of the ballot awaiting "cast or audit?"
  let expectedPrevious = Number(document.getElementById('expected_previous').value);

  /** Encrypt and prove on this device, saying how far it got (a large quadratic ballot takes a moment). */
  async function encrypt(choices) {
    const onProgress = (done, total) => inform(`Encrypting your ballot on this device… ${done} of ${total}`);
    return { ...await encryptBallotAsync(manifest, choices, { onProgress }), choices };
  }

  async function seal() {
    say(alertBox, []);
    let choices;
    try {
      const read = readChoices(specs);
      const why = explain(specs, read);
      if (why) throw new Error(why);
      choices = checkChoices(specs, read);
    } catch (error) {
      warn('Your ballot was not encrypted.', error.message);
      return;
    }
    form.querySelectorAll('input, button').forEach((element) => { element.disabled = true; });
    inform('Encrypting your ballot on this device…');
    sealed = await encrypt(choices);
    sealedPanel.querySelector('[data-tracking-code]').textContent = sealed.trackingCode;
    sealedPanel.hidden = false;
    form.querySelectorAll('input, button').forEach((element) => { element.disabled = true; });
    inform(`Encrypted. Tracking code ${sealed.trackingCode.slice(0, 16)}…: cast it, or audit it.`);
    sealedPanel.querySelector('h2').focus();
  }

  function unseal() {
    sealed = null;
    sealedPanel.hidden = true;
    form.querySelectorAll('input, button').forEach((element) => { element.disabled = false; });
    inform('');
  }

  async function cast() {
    const mine = sealed;
    inform('Sending the encrypted ballot…');
    const answer = await post({ action: 'cast', ballot: mine.ballot, expected_previous: expectedPrevious });
    if (!answer.ok) {
      warn('Your ballot was not cast.', answer.data.error || `The site answered ${answer.status}.`);
      inform('');
      return;
    }
    const problems = checkReceipt(answer.data.receipt, { manifest, trackingCode: mine.trackingCode,
      serverPublicKeyHex: manifest.receipt_public_key });
    if (problems.length) {
      warn('Warning: the site\'s receipt does not match the ballot you sent.', problems.join(' '),
        paragraph('Do not assume your vote was recorded. Save this page (or take a screenshot), keep the '
          + 'receipt below, and tell the observers or a steward; then vote again from another device or with '
          + 'the command-line client.'),
        paragraph(JSON.stringify(answer.data.receipt)));
      sealedPanel.hidden = true;
      return;
    }
    expectedPrevious += 1;
    inform('Your ballot is recorded: the receipt is signed by the election\'s key and carries your tracking code. ',
      link(answer.data.url, 'Your receipt'));
    window.location.assign(answer.data.url);
  }

  async function audit() {
    const mine = sealed;
    inform('Opening this ballot for the audit…');
    const answer = await post({ action: 'audit', ballot: mine.ballot, reveal: auditReveal(mine.ballot, mine.secrets) });
    if (!answer.ok) {
      warn('The ballot was not audited.', answer.data.error || `The site answered ${answer.status}.`);
      return;
    }
    const problems = checkReceipt(answer.data.receipt, { manifest, trackingCode: mine.trackingCode,
      serverPublicKeyHex: manifest.receipt_public_key });
    if (problems.length) {
      warn('Warning: the site\'s receipt for the audited ballot does not match it.', problems.join(' '));
      return;
    }
    // Encrypt the same choices afresh: the audited ballot, now opened, can never be cast.
    sealed = await encrypt(mine.choices);
    sealedPanel.querySelector('[data-tracking-code]').textContent = sealed.trackingCode;
    inform(`Audited: the board now shows ballot ${mine.trackingCode.slice(0, 16)}… opened to your choices (never `
      + `counted). Your choices are encrypted again with new randomness, tracking code `
      + `${sealed.trackingCode.slice(0, 16)}…: cast it, or audit again. `,
    link(answer.data.url, 'See the audited ballot'));
    sealedPanel.querySelector('h2').focus();
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    seal().catch((error) => {
      warn('Your ballot was not encrypted.', error.message);
      form.querySelectorAll('input, button').forEach((element) => { element.disabled = false; });
    });
  });
  sealedPanel.querySelector('[data-cast]').addEventListener('click', () => { cast().catch((e) => warn('Your ballot was not cast.', e.message)); });
  sealedPanel.querySelector('[data-audit]').addEventListener('click', () => { audit().catch((e) => warn('The ballot was not audited.', e.message)); });
  sealedPanel.querySelector('[data-change]').addEventListener('click', unseal);
  // Ready: the button starts disabled, so that nothing is submitted before this page can encrypt.
  form.querySelector('[data-encrypt]').disabled = false;
}

start().catch((error) => warn('This ballot cannot be used here.', `The election manifest could not be loaded: ${error.message}`));
