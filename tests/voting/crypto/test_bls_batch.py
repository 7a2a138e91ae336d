"""voting.crypto.bls_batch: same-key BLS batch verification (the verifier's tree heads). py-ecc is slow
(~0.3 s a signature, ~0.4 s a verification), so the signatures are made once per module."""

from __future__ import annotations

import hashlib
import random

import pytest
from py_ecc.bls.g2_primitives import G2_to_signature, signature_to_G2, subgroup_check
from py_ecc.bls.point_compression import compress_G2, modular_squareroot_in_FQ2
from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2
from py_ecc.optimized_bls12_381 import Z2, b2, field_modulus

from voting.crypto import bls, bls_batch, bls_fast
from voting.crypto.errors import CryptoError, InvalidSignature


@pytest.fixture(scope="module")
def signed() -> tuple[bls.BlsPublicKey, list[bytes], list[bytes], bls.BlsSecretKey]:
    secret = bls.keygen(hashlib.sha256(b"board key").digest())
    messages = [f"tree head {i}".encode() for i in range(6)]
    return secret.public_key(), messages, [bls.sign(secret, m).raw for m in messages], secret


def _off_curve() -> bytes:
    """A well-formed compressed encoding whose x has no point on the curve."""
    for x in range(1, 1000):
        raw = bytes([0x80]) + bytes(47) + x.to_bytes(48, "big")
        try:
            signature_to_G2(raw)  # type: ignore[arg-type]
        except ValueError:
            return raw
    raise AssertionError("no off-curve x found")


def _outside_subgroup() -> bytes:
    """A point on the curve (y² = x³ + b2) that is not in the prime-order subgroup."""
    for x in range(1, 1000):
        xx = FQ2([x, 0])
        y = modular_squareroot_in_FQ2(xx ** 3 + b2)
        if y is None:
            continue
        point = (xx, y, FQ2.one())
        if not subgroup_check(point):
            z1, z2 = compress_G2(point)
            return z1.to_bytes(48, "big") + z2.to_bytes(48, "big")
    raise AssertionError("no point outside the subgroup found")


INFINITY = bytes(G2_to_signature(Z2))


def test_a_batch_of_valid_signatures_passes(signed) -> None:
    public, messages, sigs, _ = signed
    assert bls_batch.verify_many(public, messages, sigs) == [None] * len(sigs)
    bls_batch.batch_verify(public, messages, sigs, workers=2)
    assert bls_batch.verify_many(public, [], []) == []


@pytest.mark.parametrize("bad", [0, 3, 5])
def test_one_bad_signature_anywhere_is_detected_and_named(signed, bad) -> None:
    public, messages, sigs, _ = signed
    swapped = list(sigs)
    swapped[bad] = sigs[(bad + 1) % len(sigs)]  # a valid signature, of another head
    errors = bls_batch.verify_many(public, messages, swapped, workers=2 if bad else 1)
    assert [i for i, e in enumerate(errors) if e is not None] == [bad]
    assert errors[bad] == "the signature does not verify with this key and message"
    with pytest.raises(InvalidSignature, match=f"signature {bad}: the signature does not verify"):
        bls_batch.batch_verify(public, messages, swapped)


def test_another_keys_signatures_and_a_wrong_message_fail(signed) -> None:
    public, messages, sigs, _ = signed
    other = bls.keygen(hashlib.sha256(b"another key").digest())
    assert all(bls_batch.verify_many(other.public_key(), messages[:2], sigs[:2]))
    errors = bls_batch.verify_many(public, [messages[0], b"tree head 1!"], sigs[:2])
    assert errors[0] is None
    assert errors[1] is not None


@pytest.mark.parametrize(("raw", "message"), [
    (_off_curve(), "not a point on the curve"),
    (_outside_subgroup(), "not in the G2 subgroup"),
    (INFINITY, "the point at infinity"),
    (b"\x00" * 96, "not a point on the curve"),  # compression flag missing
    (b"\xc0" * 95, "must be 96 bytes"),
])
def test_invalid_signature_points_are_refused_with_a_clear_message(signed, raw, message) -> None:
    public, messages, sigs, _ = signed
    with pytest.raises(InvalidSignature, match=message):
        bls_fast.signature_point(raw)
    errors = bls_batch.verify_many(public, messages[:3], [sigs[0], raw, sigs[2]])
    assert errors[0] is None
    assert errors[2] is None
    assert message in errors[1]
    # py-ecc's own verification refuses the same points
    with pytest.raises(CryptoError):
        bls.verify(public, messages[1], bls.BlsSignature(raw))


def test_the_points_refused_are_really_what_they_claim() -> None:
    with pytest.raises(ValueError, match="squareroot"):
        signature_to_G2(_off_curve())  # type: ignore[arg-type]
    point = signature_to_G2(_outside_subgroup())  # type: ignore[arg-type]
    assert not subgroup_check(point)
    assert field_modulus > 0


def test_agrees_with_one_by_one_verification_on_random_cases(signed) -> None:
    public, messages, sigs, _secret = signed
    rng = random.Random(2026)
    for _round in range(3):
        picks = [rng.randrange(len(sigs)) for _ in range(4)]
        chosen_sigs = [sigs[rng.randrange(len(sigs))] if rng.random() < 0.3 else sigs[i] for i in picks]
        chosen_messages = [messages[i] for i in picks]
        expected = []
        for m, s in zip(chosen_messages, chosen_sigs, strict=True):
            try:
                bls.verify(public, m, bls.BlsSignature(s))
                expected.append(True)
            except InvalidSignature:
                expected.append(False)
        got = bls_batch.verify_many(public, chosen_messages, chosen_sigs, workers=rng.choice([1, 2]))
        assert [e is None for e in got] == expected


def test_weights_are_nonzero_and_wide_and_inputs_are_checked(signed) -> None:
    public, messages, sigs, _ = signed
    weights = {bls_fast.random_weight() for _ in range(200)}
    assert len(weights) == 200
    assert all(0 < w < 2 ** bls_fast.WEIGHT_BITS for w in weights)
    assert max(weights).bit_length() > bls_fast.WEIGHT_BITS - 8
    with pytest.raises(InvalidSignature, match="as many messages as signatures"):
        bls_batch.verify_many(public, messages[:2], sigs[:1])
    with pytest.raises(InvalidSignature, match="messages must be bytes"):
        bls_batch.verify_many(public, ["text"], sigs[:1])  # type: ignore[list-item]
