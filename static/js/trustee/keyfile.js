// The trustee's key material and its key file (dataguild-trustee-key/v1), byte for byte as
// voting/crypto/keyfile.py writes and reads it; the stdlib-only sealing (SHA-256 keystream,
// HMAC-SHA256, encrypt-then-MAC) that key files and ceremony shares use.

import { hmac, scryptAsync } from '../../vendor/noble/noble.js';
import {
  DgError, N, baseMul, bigToBytes, bytesEqual, bytesToBig, canonicalJson, concat, dst, encode, invalid,
  jsonInt, jsonList, jsonObject, jsonScalar, randomBytes, randomScalar, scalarHex, sha256, strictHex, toHex, utf8,
  xmd,
} from './core.js';

export const KEYFILE_FORMAT = 'dataguild-trustee-key/v1';
export const SEALED = 'scrypt-sha256ctr-hmacsha256';
export const DEFAULT_SCRYPT_N = 2 ** 17;
const SCRYPT_MAX_BYTES = 2 ** 29;

const wrongPassphrase = (m) => new DgError('WrongPassphrase', m);
const corrupt = (m) => new DgError('CorruptKeyFile', m);

// ------------------------------------------------------------------ sealing

export const deriveKeys = (secretInput, purpose, extra = 0) => xmd(secretInput, dst(purpose), 64 + extra);

function keystream(encKey, length) {
  const blocks = [];
  for (let i = 0; i * 32 < length; i++) blocks.push(sha256(concat(encKey, bigToBytes(BigInt(i), 8))));
  return concat(...blocks).slice(0, length);
}

const xor = (a, b) => a.map((x, i) => x ^ b[i]);

export function seal(keys, plaintext, aad) {
  const ciphertext = xor(plaintext, keystream(keys.slice(0, 32), plaintext.length));
  return { ciphertext, tag: hmac(sha256, keys.slice(32, 64), encode(aad, ciphertext)) };
}

/** The plaintext, or null when the tag does not verify (checked in constant time first). */
export function unseal(keys, ciphertext, tag, aad) {
  const expected = hmac(sha256, keys.slice(32, 64), encode(aad, ciphertext));
  if (!bytesEqual(expected, tag)) return null;
  return xor(ciphertext, keystream(keys.slice(0, 32), ciphertext.length));
}

// ------------------------------------------------------------------ the key material

/** Opaque to callers: {index, encryptionSecret, signingSecret, fingerprint, polynomial, share, sealed}. */
export function secretsFromJson(data) {
  const obj = jsonObject(data, ['index', 'encryption_secret', 'signing_secret', 'fingerprint', 'polynomial', 'share'],
    'trustee key');
  const signingSecret = strictHex(obj.signing_secret, 'signing secret', 32);
  const sk = bytesToBig(signingSecret);
  if (sk === 0n || sk >= N) throw invalid('signing secret must be 32 bytes encoding a scalar in [1, n).');
  return {
    index: jsonInt(obj.index, 'trustee index', 1, 10000),
    encryptionSecret: jsonScalar(obj.encryption_secret, 'encryption secret', true),
    signingSecret,
    fingerprint: obj.fingerprint === null ? null : strictHex(obj.fingerprint, 'fingerprint', 32),
    polynomial: jsonList(obj.polynomial, 'polynomial').map((a) => jsonScalar(a, 'polynomial coefficient')),
    share: obj.share === null ? null : jsonScalar(obj.share, 'share'),
  };
}

export function secretsToJson(s) {
  return {
    index: s.index,
    encryption_secret: scalarHex(s.encryptionSecret),
    signing_secret: toHex(s.signingSecret),
    fingerprint: s.fingerprint === null ? null : toHex(s.fingerprint),
    polynomial: s.polynomial.map(scalarHex),
    share: s.share === null ? null : scalarHex(s.share),
  };
}

export const encryptionKey = (s) => baseMul(s.encryptionSecret);

export function generateTrustee(index = 1) {
  return { index, encryptionSecret: randomScalar(), signingSecret: bigToBytes(randomScalar(), 32), fingerprint: null,
    polynomial: [], share: null };
}

// ------------------------------------------------------------------ key files

async function scryptKeys(passphrase, salt, n, r, p) {
  const maxmem = 128 * r * (n + p + 2) + 2 ** 20;
  const master = await scryptAsync(utf8(passphrase), salt, { N: n, r, p, dkLen: 32, maxmem });
  return deriveKeys(encode(master), 'keyfile', 32);
}

const aadOf = (salt, n, r, p) => encode(KEYFILE_FORMAT, SEALED, salt, n, r, p);

function checkKdf(salt, n, r, p) {
  if (salt.length < 16 || salt.length > 64) throw corrupt('The key file is damaged: its scrypt salt must be 16 to 64 bytes.');
  if (n < 2 ** 10 || n > 2 ** 20 || (n & (n - 1)) !== 0) {
    throw corrupt('The key file is damaged: scrypt n must be a power of two between 2^10 and 2^20.');
  }
  if (!(r >= 1 && r <= 32 && p >= 1 && p <= 16)) throw corrupt('The key file is damaged: scrypt r or p is out of range.');
  if (128 * r * n > SCRYPT_MAX_BYTES) throw corrupt('The key file is damaged: scrypt would need more than 512 MiB.');
}

/** The key file text; sealed with the passphrase, or unencrypted when it is empty/null. */
export async function dumpKeyfile(secrets, passphrase, { scryptN = DEFAULT_SCRYPT_N, salt = null } = {}) {
  const key = secretsToJson(secrets);
  if (!passphrase) return JSON.stringify({ format: KEYFILE_FORMAT, encryption: 'none', key }, null, 2);
  const s = salt ?? randomBytes(16);
  const r = 8, p = 1;
  checkKdf(s, scryptN, r, p);
  const keys = await scryptKeys(passphrase, s, scryptN, r, p);
  const { ciphertext, tag } = seal(keys.slice(0, 64), utf8(canonicalJson(key)), aadOf(s, scryptN, r, p));
  return JSON.stringify({
    format: KEYFILE_FORMAT, encryption: SEALED, kdf: { salt: toHex(s), n: scryptN, r, p },
    check: toHex(keys.slice(64, 96)), ciphertext: toHex(ciphertext), tag: toHex(tag),
  }, null, 2);
}

function fieldsOrCorrupt(fn) {
  try {
    return fn();
  } catch (exc) {
    if (exc instanceof DgError && exc.name === 'CorruptKeyFile') throw exc;
    throw corrupt(`The key file is damaged or malformed: ${exc.message}`);
  }
}

/** Parse (and decrypt) a key file: WrongPassphrase or CorruptKeyFile on failure. */
export async function loadKeyfile(text, passphrase) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw corrupt('This is not a key file: it is not valid JSON.');
  }
  if (data === null || typeof data !== 'object' || data.format !== KEYFILE_FORMAT) {
    throw corrupt(`This is not a ${KEYFILE_FORMAT} key file.`);
  }
  if (data.encryption === 'none') {
    return fieldsOrCorrupt(() => ({
      ...secretsFromJson(jsonObject(data, ['format', 'encryption', 'key'], 'key file').key), sealed: false }));
  }
  if (data.encryption !== SEALED) throw corrupt('The key file uses an unknown encryption.');
  const f = fieldsOrCorrupt(() => {
    const obj = jsonObject(data, ['format', 'encryption', 'kdf', 'check', 'ciphertext', 'tag'], 'key file');
    const kdf = jsonObject(obj.kdf, ['salt', 'n', 'r', 'p'], 'key file kdf');
    const salt = strictHex(kdf.salt, 'salt');
    const [n, r, p] = ['n', 'r', 'p'].map((x) => jsonInt(kdf[x], `scrypt ${x}`, 1, 2 ** 20));
    checkKdf(salt, n, r, p);
    return { salt, n, r, p, check: strictHex(obj.check, 'check', 32), ciphertext: strictHex(obj.ciphertext, 'ciphertext'),
      tag: strictHex(obj.tag, 'tag', 32) };
  });
  if (!passphrase) throw wrongPassphrase('This key file is encrypted: enter its passphrase.');
  const keys = await scryptKeys(passphrase, f.salt, f.n, f.r, f.p);
  if (!bytesEqual(keys.slice(64, 96), f.check)) throw wrongPassphrase('This passphrase does not open the key file.');
  const plaintext = unseal(keys.slice(0, 64), f.ciphertext, f.tag, aadOf(f.salt, f.n, f.r, f.p));
  if (plaintext === null) throw corrupt('The key file is damaged or was altered: its authentication tag does not verify.');
  return fieldsOrCorrupt(() => ({ ...secretsFromJson(JSON.parse(new TextDecoder().decode(plaintext))), sealed: true }));
}
