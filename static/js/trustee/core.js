// dataguild trustee crypto, the shared core: errors, bytes and hex, the length-prefixed encoding,
// RFC 9380 hash-to-scalar, canonical JSON, secp256k1 points and scalars, strict JSON fields and
// batched linear relations. A port of voting/crypto/{hashing,group,keyfile (fields),batch}.py;
// the arithmetic itself is @noble/curves (static/vendor/noble/noble.js).

import { secp256k1, sha256, expand_message_xmd } from '../../vendor/noble/noble.js';

// ------------------------------------------------------------------ errors

/** An Error whose name is one of WrongPassphrase, CorruptKeyFile, CeremonyMismatch, InvalidInput, CryptoError. */
export class DgError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}
export const invalid = (message) => new DgError('InvalidInput', message);
export const mismatch = (message) => new DgError('CeremonyMismatch', message);

// ------------------------------------------------------------------ bytes

const HEX_RE = /^(?:[0-9a-f]{2})*$/;
const te = new TextEncoder();

export const utf8 = (s) => te.encode(s);

export function toHex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Canonical hex only (lowercase, even length), optionally of an exact byte size. */
export function strictHex(value, what, size) {
  if (typeof value !== 'string' || !HEX_RE.test(value)) throw invalid(`${what} must be a lowercase hex string.`);
  const out = new Uint8Array(value.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(value.slice(2 * i, 2 * i + 2), 16);
  if (size !== undefined && out.length !== size) {
    throw invalid(`${what} must be ${size} bytes, got ${out.length}.`);
  }
  return out;
}

export function concat(...parts) {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function bytesEqual(a, b) {  // constant time for equal lengths
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function bigToBytes(x, len) {
  const out = new Uint8Array(len);
  let v = x;
  for (let i = len - 1; i >= 0; i--) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

export function bytesToBig(bytes) {
  return bytes.length ? BigInt('0x' + toHex(bytes)) : 0n;
}

export function randomBytes(n) {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

export { sha256 };

// ------------------------------------------------------------------ the group

export const Point = secp256k1.ProjectivePoint;
export const G = Point.BASE;
export const ZERO = Point.ZERO;
export const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const GROUP_NAME = 'secp256k1';
export const PROTOCOL_VERSION = 'dataguild-ballot-v1';

export const mod = (x) => ((x % N) + N) % N;

/** k·P for any integer k (reduced mod n); the identity for k = 0. */
export function mul(P, k) {
  const s = mod(BigInt(k));
  if (s === 0n || P.is0()) return ZERO;
  return P.multiply(s);
}
export const baseMul = (k) => mul(G, k);

/** k·P for public k and P only (variable time, faster): verification, never a secret scalar. */
export function mulPublic(P, k) {
  const s = mod(BigInt(k));
  if (s === 0n || P.is0()) return ZERO;
  return P.multiplyUnsafe(s);
}

export function randomScalar() {  // uniform in [1, n)
  for (;;) {
    const k = bytesToBig(randomBytes(32));
    if (k > 0n && k < N) return k;
  }
}

export const scalarBytes = (k) => bigToBytes(mod(k), 32);
export const scalarHex = (k) => toHex(scalarBytes(k));

const pointHexCache = new WeakMap();
/** 66 hex characters of the compressed point (the identity has no encoding). */
export function pointHex(P) {
  let hex = pointHexCache.get(P);
  if (hex === undefined) {
    if (P.is0()) throw new DgError('CryptoError', 'The point at infinity has no compressed encoding.');
    hex = P.toHex(true);
    pointHexCache.set(P, hex);
  }
  return hex;
}
export const pointBytes = (P) => strictHex(pointHex(P), 'point', 33);

/** A point from 33 bytes of lowercase hex (SEC1 compressed), validated on the curve. */
export function jsonPoint(value, what) {
  strictHex(value, what, 33);
  if (value[0] !== '0' || (value[1] !== '2' && value[1] !== '3')) {
    throw invalid(`${what} must be a compressed point (prefix 02 or 03).`);
  }
  let P;
  try {
    P = Point.fromHex(value);
  } catch {
    throw invalid(`${what} is not a point of secp256k1.`);
  }
  pointHexCache.set(P, value);
  return P;
}

/** A scalar from 32 bytes of lowercase hex, checked below n (and nonzero if asked). */
export function jsonScalar(value, what, nonzero = false) {
  const k = bytesToBig(strictHex(value, what, 32));
  if (k >= N) throw invalid(`${what}: scalar out of range (must be below n).`);
  if (nonzero && k === 0n) throw invalid(`${what}: scalar must not be zero.`);
  return k;
}

// ------------------------------------------------------------------ strict JSON fields

export function jsonObject(data, keys, what) {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw invalid(`${what} must be a JSON object.`);
  const have = Object.keys(data);
  const missing = keys.filter((k) => !have.includes(k));
  const extra = have.filter((k) => !keys.includes(k));
  if (missing.length || extra.length) {
    throw invalid(`${what}: missing keys [${missing.join(', ')}], unexpected keys [${extra.join(', ')}].`);
  }
  return data;
}

export function jsonInt(value, what, lo, hi) {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
    throw invalid(`${what} must be an integer in [${lo}, ${hi}].`);
  }
  return value;
}

export function jsonList(value, what, length) {
  if (!Array.isArray(value)) throw invalid(`${what} must be a JSON list.`);
  if (length !== undefined && value.length !== length) {
    throw invalid(`${what} must have ${length} items, got ${value.length}.`);
  }
  return value;
}

// ------------------------------------------------------------------ the encoding (hashing.encode)

const TAG_BYTES = 1, TAG_STR = 2, TAG_INT = 3, TAG_POINT = 4, TAG_SEQ = 5;

function frame(tag, payload) {
  const head = new Uint8Array(5);
  head[0] = tag;
  new DataView(head.buffer).setUint32(1, payload.length, false);
  return concat(head, payload);
}

function intPayload(x) {
  const mag = x < 0n ? -x : x;
  const bits = mag === 0n ? 0 : mag.toString(2).length;
  const len = Math.max(1, Math.floor((bits + 8) / 8));
  return bigToBytes(x < 0n ? (1n << BigInt(8 * len)) + x : x, len);
}

/** One item: Uint8Array (bytes), string, number/bigint (int), Point, Array (sequence). */
export function encodeItem(item) {
  if (item instanceof Point) return frame(TAG_POINT, item.is0() ? new Uint8Array([0]) : pointBytes(item));
  if (item instanceof Uint8Array) return frame(TAG_BYTES, item);
  if (typeof item === 'string') return frame(TAG_STR, utf8(item));
  if (typeof item === 'bigint') return frame(TAG_INT, intPayload(item));
  if (typeof item === 'number' && Number.isSafeInteger(item)) return frame(TAG_INT, intPayload(BigInt(item)));
  if (Array.isArray(item)) return frame(TAG_SEQ, concat(...item.map(encodeItem)));
  throw new DgError('CryptoError', `Cannot encode a ${typeof item}.`);
}

export const encode = (...items) => concat(...items.map(encodeItem));

// ------------------------------------------------------------------ hash to scalar

/** ``DATAGUILD-V1-SECP256K1_XMD:SHA-256_<purpose>`` */
export const dst = (purpose) => utf8(`DATAGUILD-V1-${GROUP_NAME.toUpperCase()}_XMD:SHA-256_${purpose}`);

export const xmd = (msg, dstTag, len) => expand_message_xmd(msg, dstTag, len, sha256);

export function hashToScalar(dstTag, ...items) {
  return bytesToBig(xmd(encode(...items), dstTag, 48)) % N;
}

/** The strong Fiat–Shamir challenge of every proof (hashing.challenge). */
export function challenge(purpose, fingerprint, position, statement, commitments) {
  return hashToScalar(dst(purpose), PROTOCOL_VERSION, GROUP_NAME, fingerprint, [...position], [...statement],
    [...commitments]);
}

// ------------------------------------------------------------------ canonical JSON (RFC 8785, no floats)

export function canonicalJson(value) {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw invalid('Canonical JSON refuses floats and unsafe integers.');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  if (typeof value === 'object') {
    return '{' + Object.keys(value).sort().map((k) => JSON.stringify(k) + ':' + canonicalJson(value[k])).join(',')
      + '}';
  }
  throw invalid(`Cannot put a ${typeof value} in canonical JSON.`);
}

export const canonicalBytes = (value) => utf8(canonicalJson(value));
export const sha256Hex = (value) => toHex(sha256(canonicalBytes(value)));

// ------------------------------------------------------------------ linear relations (batch.py)

/** A relation is a list of [coefficient, Point] with Σ coeff·P == identity. */
export function relationsHold(relations) {
  if (!relations.length) return true;
  const coeffs = new Map();
  for (const rel of relations) {
    let w = 0n;
    while (w === 0n) w = bytesToBig(randomBytes(16));
    for (const [c, P] of rel) {
      if (P.is0()) continue;
      const key = pointHex(P);
      const entry = coeffs.get(key);
      const add = mod(w * BigInt(c));
      if (entry) entry[0] = mod(entry[0] + add);
      else coeffs.set(key, [add, P]);
    }
  }
  const terms = [...coeffs.values()].filter(([c]) => c !== 0n);
  if (!terms.length) return true;
  return Point.msm(terms.map(([, P]) => P), terms.map(([c]) => c)).is0();
}

export function schnorrRelation(purpose, fingerprint, position, statement, pub, proof) {
  const c = challenge(purpose, fingerprint, position, statement, [proof.commitment]);
  return [[proof.response, G], [N - c, pub], [N - 1n, proof.commitment]];
}
