"""The test vectors printed in docs/crypto.md, recomputed: the document cannot drift from the code."""

from __future__ import annotations

from voting.crypto.elgamal import ElectionKey, encrypt
from voting.crypto.group import G, base_mult
from voting.crypto.hashing import challenge, dst, encode, hash_to_scalar


def test_encoding_vector() -> None:
    expected = ("01000000020102" "0200000002" "6162" "0300000001" "00" "0300000001" "ff" "0300000002" "00ff"
                "0400000021" "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
                "050000000c" "030000000101" "020000000178")
    assert encode(b"\x01\x02", "ab", 0, -1, 255, G, [1, "x"]).hex() == expected


def test_hash_vectors() -> None:
    assert dst("proof/disjunctive-cp") == b"DATAGUILD-V1-SECP256K1_XMD:SHA-256_proof/disjunctive-cp"
    assert hash_to_scalar(dst("test"), "abc") == 0x2E3CC4990F1FFD573AEB3F14AD1101671C91D88150E7D69EDC9450B5B99E9A41
    assert challenge("test", bytes(32), ["ref", 0, 1], [G], [base_mult(2)]) == (
        0xE690A871D9060A2E747885B4232DB488EAE183D86F6D70604CF9D6A9A1AC129D)


def test_elgamal_vector() -> None:
    ct, _ = encrypt(ElectionKey(base_mult(7)), 1, r=5)
    assert ct.alpha.hex() == "022f8bde4d1a07209355b4a7250a5c5128e88b84bddc619ab7cba8d569b240efe4"
    assert ct.beta.hex() == "02e0392cfa338aaf2f0b56c563e3e5e67a5d5fefe3388f85d90c899da20f0198f9"
