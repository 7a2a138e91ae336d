// BLS signatures exactly as voting/crypto/bls.py (py-ecc G2ProofOfPossession) makes them: public keys
// in G1 (48 bytes compressed), signatures in G2 (96 bytes compressed), hash-to-curve RFC 9380
// (SSWU, random oracle) with the proof-of-possession ciphersuite's tags. Only signing is needed here:
// the server and the other trustees verify.

import { bls12_381, hkdf, sha256 } from '../../vendor/noble/noble.js';
import { bytesToBig, concat, toHex, utf8 } from './core.js';

export const SIG_DST = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';
export const POP_DST = 'BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';
/** The trustee's BLS key is derived from the key file's BIP-340 signing secret (voting/trustees/client.py). */
export const BLS_KEY_INFO = 'dataguild-trustee-result-v1';
const R = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;

/** IETF KeyGen(IKM, key_info) as py-ecc implements it (HKDF-SHA256, L = 48). */
export function keygen(ikm, keyInfo = BLS_KEY_INFO) {
  let salt = utf8('BLS-SIG-KEYGEN-SALT-');
  let sk = 0n;
  while (sk === 0n) {
    salt = sha256(salt);
    const okm = hkdf(sha256, concat(ikm, new Uint8Array([0])), salt, concat(utf8(keyInfo), new Uint8Array([0, 48])), 48);
    sk = bytesToBig(okm) % R;
  }
  return sk;
}

export const publicKey = (sk) => bls12_381.G1.ProjectivePoint.BASE.multiply(sk).toRawBytes(true);

function coreSign(sk, message, dstTag) {
  const H = bls12_381.G2.hashToCurve(message, { DST: dstTag });
  return H.multiply(sk).toRawBytes(true);
}

export const signHex = (sk, message) => toHex(coreSign(sk, message, SIG_DST));
export const popHex = (sk) => toHex(coreSign(sk, publicKey(sk), POP_DST));
export const publicKeyHex = (sk) => toHex(publicKey(sk));
