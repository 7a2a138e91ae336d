"""BLS wrapper: few pairing operations (py-ecc is slow), each one checking something that can fail."""

from __future__ import annotations

import pytest

from voting.crypto import bls
from voting.crypto.errors import InvalidEncoding, InvalidSignature


@pytest.fixture(scope="module")
def keys() -> list[bls.BlsSecretKey]:
    return [bls.keygen(bytes([i]) * 32) for i in (1, 2, 3)]


def test_keygen_is_deterministic_and_checks_seed() -> None:
    assert bls.keygen(b"\x07" * 32) == bls.keygen(b"\x07" * 32)
    assert bls.keygen(b"\x07" * 32) != bls.keygen(b"\x08" * 32)
    with pytest.raises(InvalidEncoding, match="at least 32 bytes"):
        bls.keygen(b"short")
    assert "secret" in repr(bls.keygen(b"\x07" * 32))


def test_sign_verify_and_wrong_message_or_key(keys: list[bls.BlsSecretKey]) -> None:
    sig = bls.sign(keys[0], b"tree head")
    bls.verify(keys[0].public_key(), b"tree head", sig)
    with pytest.raises(InvalidSignature, match="does not verify"):
        bls.verify(keys[0].public_key(), b"tree heaD", sig)
    with pytest.raises(InvalidSignature, match="does not verify"):
        bls.verify(keys[1].public_key(), b"tree head", sig)
    with pytest.raises(InvalidSignature, match="must be bytes"):
        bls.verify(keys[0].public_key(), "tree head", sig)  # type: ignore[arg-type]


def test_aggregate_co_signature(keys: list[bls.BlsSecretKey]) -> None:
    msg = b"result certificate"
    agg = bls.aggregate([bls.sign(k, msg) for k in keys])
    publics = [k.public_key() for k in keys]
    bls.fast_aggregate_verify(publics, msg, agg)
    with pytest.raises(InvalidSignature, match="does not verify"):
        bls.fast_aggregate_verify(publics[:2], msg, agg)
    with pytest.raises(InvalidSignature, match="duplicate"):
        bls.fast_aggregate_verify([*publics, publics[0]], msg, agg)
    with pytest.raises(InvalidSignature, match="empty"):
        bls.aggregate([])
    with pytest.raises(InvalidSignature, match="at least one"):
        bls.fast_aggregate_verify([], msg, agg)


def test_proof_of_possession(keys: list[bls.BlsSecretKey]) -> None:
    proof = bls.pop_prove(keys[0])
    bls.pop_verify(keys[0].public_key(), proof)
    with pytest.raises(InvalidSignature, match="proof of possession"):
        bls.pop_verify(keys[1].public_key(), proof)
    # A plain signature over the key bytes is not a PoP (different domain tag).
    pk = keys[0].public_key()
    with pytest.raises(InvalidSignature):
        bls.pop_verify(pk, bls.sign(keys[0], pk.raw))


def test_hex_roundtrip_and_validation(keys: list[bls.BlsSecretKey]) -> None:
    pk = keys[0].public_key()
    sig = bls.sign(keys[0], b"m")
    assert bls.BlsPublicKey.from_hex(pk.to_hex()) == pk
    assert bls.BlsSignature.from_hex(sig.to_hex()) == sig
    assert bls.BlsSecretKey.from_hex(keys[0].to_hex()) == keys[0]
    with pytest.raises(InvalidEncoding, match="48 bytes"):
        bls.BlsPublicKey.from_hex(pk.to_hex()[:-2])
    with pytest.raises(InvalidEncoding, match="96 bytes"):
        bls.BlsSignature.from_hex(sig.to_hex() + "00")
    with pytest.raises(InvalidEncoding, match="lowercase hex"):
        bls.BlsPublicKey.from_hex("zz" * 48)
    with pytest.raises(InvalidEncoding, match="lowercase hex"):
        bls.BlsPublicKey.from_hex(pk.to_hex().upper())
    with pytest.raises(InvalidEncoding, match="lowercase hex"):
        bls.BlsSignature.from_hex(12)
    with pytest.raises(InvalidEncoding, match="not a valid G1"):
        bls.BlsPublicKey.from_hex("c0" + "00" * 47)  # the identity
    with pytest.raises(InvalidEncoding, match="not a valid G1"):
        bls.BlsPublicKey.from_hex("ff" * 48)
    with pytest.raises(InvalidEncoding, match="not a valid G2"):
        bls.BlsSignature.from_hex("ff" * 96)
    with pytest.raises(InvalidEncoding, match=r"\[1, r\)"):
        bls.BlsSecretKey.from_hex("00" * 32)
