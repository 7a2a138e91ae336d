// Test driver for tests/voting/trustees/test_trustee_js.py: reads one JSON request on stdin, runs it with the
// browser library (static/js/trustee/), writes one JSON answer on stdout:
// {"ok": true, "result": ...} or {"ok": false, "name": ..., "message": ...}.
import * as dg from '../../../../static/js/trustee/dgcrypto.js';
import * as core from '../../../../static/js/trustee/core.js';
import * as kf from '../../../../static/js/trustee/keyfile.js';
import * as bls from '../../../../static/js/trustee/bls.js';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));

// Items of the length-prefixed encoding as JSON: {"bytes": hex}, {"str": s}, {"int": "decimal"},
// {"point": hex or null for the identity}, [items...].
function item(x) {
  if (Array.isArray(x)) return x.map(item);
  if ('bytes' in x) return core.strictHex(x.bytes, 'bytes');
  if ('str' in x) return x.str;
  if ('int' in x) return BigInt(x.int);
  if ('point' in x) return x.point === null ? core.ZERO : core.jsonPoint(x.point, 'point');
  throw new Error('unknown item');
}

const strip = ({ secrets, ...rest }) => rest;  // secrets hold BigInts and never leave the test

async function run() {
  const open = () => dg.openKeyFile(req.keyFile, req.passphrase);
  switch (req.op) {
    case 'vectors':
      return req.cases.map((c) => ({
        encode: core.toHex(core.encode(...c.items.map(item))),
        scalar: core.hashToScalar(core.dst(c.purpose), ...c.items.map(item)).toString(16).padStart(64, '0'),
      }));
    case 'canonical':
      return req.values.map((v) => core.toHex(core.canonicalBytes(v)));
    case 'newKeyFile': {
      const started = performance.now();
      const out = await dg.newKeyFile(req.passphrase);
      return { ...out, ms: performance.now() - started };
    }
    case 'openKeyFile': {
      const started = performance.now();
      const s = await open();
      return { key: kf.secretsToJson(s), sealed: s.sealed, ms: performance.now() - started };
    }
    case 'dumpKeyFile': {
      const s = kf.secretsFromJson(req.key);
      return kf.dumpKeyfile(s, req.passphrase, { scryptN: req.n, salt: core.strictHex(req.salt, 'salt', 16) });
    }
    case 'bls': {
      const sk = bls.keygen(core.strictHex(req.ikm, 'ikm'));
      return { public: bls.publicKeyHex(sk), pop: bls.popHex(sk), signature: bls.signHex(sk, core.strictHex(req.message, 'm')) };
    }
    case 'announce': case 'deal': case 'confirm':
      return strip(await dg[req.op](req.state, await open(), req.passphrase));
    case 'decrypt': {
      const started = performance.now();
      const out = await dg.decrypt(req.inputs, await open());
      return { ...out, ms: performance.now() - started };
    }
    case 'signResult': {
      const started = performance.now();
      const out = await dg.signResult(req.inputs, await open());
      return { ...out, ms: performance.now() - started };
    }
    default:
      throw new Error(`unknown op ${req.op}`);
  }
}

try {
  process.stdout.write(JSON.stringify({ ok: true, result: await run() }));
} catch (exc) {
  process.stdout.write(JSON.stringify({ ok: false, name: exc.name, message: exc.message }));
}
