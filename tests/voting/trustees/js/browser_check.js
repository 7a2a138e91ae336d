// Loaded by browser_check.html in headless Chromium (tests/voting/trustees/test_trustee_js.py): the library as
// the trustee pages load it, a new encrypted key file (scrypt n = 2^17 in the browser), and an
// announcement for the fixture's state, written into #out as JSON for the test to check in Python.
import * as dg from '../../../../static/js/trustee/dgcrypto.js';

const out = document.getElementById('out');
try {
  const fixture = await (await fetch('/fixture.json')).json();
  let started = performance.now();
  const { keyFile } = await dg.newKeyFile(fixture.passphrase);
  const writeMs = performance.now() - started;
  started = performance.now();
  const fresh = await dg.openKeyFile(keyFile, fixture.passphrase);
  const openMs = performance.now() - started;
  let wrong = null;
  try { await dg.openKeyFile(keyFile, 'not the passphrase'); } catch (exc) { wrong = exc.name; }
  const given = await dg.openKeyFile(fixture.keyFile, '');
  const announced = await dg.announce(fixture.state, given, '');
  const freshAnnounced = await dg.announce(fixture.state, fresh, fixture.passphrase);
  out.textContent = JSON.stringify({ ok: true, keyFile, writeMs, openMs, wrong, announced: announced.payload,
    rewritten: freshAnnounced.keyFile });
} catch (exc) {
  out.textContent = JSON.stringify({ ok: false, name: exc.name, message: exc.message });
}
