"""SEC1 uncompressed points (the transport form of large records): decoding, validation, ballot
round trips, and that a ballot's identity (tracking code, challenges) does not depend on the form."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from voting.crypto.ballot import (
    ChoiceQuestion,
    EncryptedBallot,
    QuadraticQuestion,
    ballot_json_uncompressed,
    encrypt_ballot,
    verify_ballot,
)
from voting.crypto.elgamal import Ciphertext, ElectionKey
from voting.crypto.errors import CryptoError, InvalidEncoding, InvalidPoint
from voting.crypto.group import (
    G,
    P,
    Point,
    available_backends,
    base_mult,
    decode_points,
    point_from_coordinates,
    use_backend,
)
from voting.crypto.hashing import dst, encode_item, hash_to_scalar, sha256
from voting.crypto.parallel import batch_verify_ballots
from voting.crypto.proofs import point_from_json

KEY = ElectionKey(base_mult(hash_to_scalar(dst("test-uncompressed"), "key")))
FP = sha256(b"dataguild uncompressed test")
PICK = ChoiceQuestion(("a", "b", "c", "d", "e"), 1, 3)
QV = QuadraticQuestion(("p", "q"), 4, allow_negative=True)
POINTS = [G, -G, base_mult(2), base_mult(3**100), base_mult(2**255 + 12345)]


@pytest.fixture(params=available_backends())
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    with use_backend(request.param) as name:
        yield name


def _raw(x: int, y: int) -> bytes:
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


def _off_curve() -> tuple[int, int]:
    assert G.x is not None
    assert G.y is not None
    return G.x, (G.y + 1) % P


# --- points -----------------------------------------------------------------------------------
def test_uncompressed_roundtrip(backend: str) -> None:
    for pt in POINTS:
        raw = pt.to_bytes(compressed=False)
        assert len(raw) == 65
        assert raw[0] == 4
        assert raw == _raw(pt.x, pt.y)  # type: ignore[arg-type]
        assert Point.from_bytes(raw) == pt
        assert Point.from_bytes(bytearray(raw)) == pt
        assert Point.from_hex(pt.hex(compressed=False)) == pt
        assert point_from_json(pt.hex(compressed=False)) == pt
        assert point_from_json(pt.hex()) == pt
        assert pt.to_bytes() == pt.to_bytes(compressed=True)  # compressed stays the default
    assert decode_points([p.to_bytes(compressed=i % 2 == 0) for i, p in enumerate(POINTS)]) == POINTS


def test_hash_inputs_use_the_compressed_encoding() -> None:
    for pt in POINTS:
        decoded = Point.from_bytes(pt.to_bytes(compressed=False))
        assert encode_item(decoded) == encode_item(pt)
        assert encode_item(decoded)[5:] == pt.to_bytes()


@pytest.mark.parametrize(("data", "error", "message"), [
    (_raw(*_off_curve()), InvalidPoint, "not on secp256k1"),
    (_raw(P, 1), InvalidPoint, "out of range"),
    (_raw(1, P + 1), InvalidPoint, "out of range"),
    (_raw(0, 0), InvalidPoint, "not on secp256k1"),
    (b"\x02" + _raw(G.x, G.y)[1:], InvalidEncoding, "prefix must be 0x04"),  # type: ignore[arg-type]
    (b"\x06" + _raw(G.x, G.y)[1:], InvalidEncoding, "prefix must be 0x04"),  # hybrid form refused
    (b"\x07" + _raw(G.x, G.y)[1:], InvalidEncoding, "prefix must be 0x04"),  # type: ignore[arg-type]
    (_raw(G.x, G.y)[:64], InvalidEncoding, "33 bytes"),  # type: ignore[arg-type]
    (_raw(G.x, G.y) + b"\x00", InvalidEncoding, "33 bytes"),  # type: ignore[arg-type]
    (b"\x04" * 65, InvalidPoint, "not on secp256k1"),
])
def test_malformed_uncompressed_points_are_refused(backend: str, data: bytes, error: type[CryptoError],
                                                   message: str) -> None:
    with pytest.raises(error, match=message):
        Point.from_bytes(data)
    with pytest.raises(error):
        decode_points([G.to_bytes(compressed=False), data])
    if len(data) == 65 and data[0] == 4:
        with pytest.raises(error, match=message):
            point_from_json(data.hex())


def test_point_from_coordinates() -> None:
    assert point_from_coordinates(G.x, G.y) == G  # type: ignore[arg-type]
    with pytest.raises(InvalidPoint, match="not on secp256k1"):
        point_from_coordinates(*_off_curve())
    with pytest.raises(InvalidPoint, match="out of range"):
        point_from_coordinates(-1, 0)
    with pytest.raises(InvalidPoint, match="integers"):
        point_from_coordinates(True, G.y)  # type: ignore[arg-type]
    with pytest.raises(InvalidPoint, match="integers"):
        point_from_coordinates(float(G.x), G.y)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [
    G.hex(compressed=False).upper(),                  # uppercase
    G.hex(compressed=False)[:-2],                      # 128 characters
    G.hex(compressed=False) + "00",                    # 132 characters
    "02" + G.hex(compressed=False)[2:],                # 130 characters with a compressed prefix
    "06" + G.hex(compressed=False)[2:],                # hybrid
    " " + G.hex(compressed=False)[1:],
    "04" + "g" * 128,
])
def test_json_point_text_is_strict(text: str) -> None:
    with pytest.raises(InvalidEncoding, match="lowercase hex"):
        point_from_json(text)


def test_identity_has_no_encoding() -> None:
    from voting.crypto.group import IDENTITY
    with pytest.raises(InvalidPoint):
        IDENTITY.to_bytes(compressed=False)


# --- ballots ----------------------------------------------------------------------------------
def _ballot(spec: Any, choice: list[int], ref: str) -> EncryptedBallot:
    return encrypt_ballot(spec, choice, KEY, FP, ref)[0]


def _walk_points(data: Any) -> Iterator[str]:
    if isinstance(data, str) and len(data) in (66, 130) and data[:2] in ("02", "03", "04"):
        yield data
    elif isinstance(data, dict):
        for k, v in data.items():
            if k != "election":
                yield from _walk_points(v)
    elif isinstance(data, list):
        for v in data:
            yield from _walk_points(v)


@pytest.mark.parametrize(("spec", "choice"), [(PICK, [1, 0, 1, 0, 0]), (QV, [-2, 0])])
def test_ballot_roundtrip_both_forms(backend: str, spec: Any, choice: list[int]) -> None:
    ballot = _ballot(spec, choice, "u-1")
    compact = ballot.to_json()
    wide = ballot.to_json(uncompressed=True)
    points = list(_walk_points(wide))
    assert points
    assert all(len(p) == 130 and p.startswith("04") for p in points)
    assert all(len(p) == 66 for p in _walk_points(compact))
    assert len(points) == len(list(_walk_points(compact)))
    assert ballot_json_uncompressed(compact) == wide
    assert ballot_json_uncompressed(wide) == wide
    for data in (compact, wide):
        decoded = EncryptedBallot.from_json(data)
        assert decoded == ballot
        assert decoded.tracking_code() == ballot.tracking_code()
        assert decoded.to_json() == compact
        verify_ballot(decoded, spec, KEY, FP)  # the challenges are recomputed over compressed points


def test_mixed_forms_decode_to_the_same_ballot() -> None:
    ballot = _ballot(PICK, [0, 1, 0, 0, 0], "u-mixed")
    data = ballot.to_json()
    wide = ballot.to_json(uncompressed=True)
    data["answers"][0]["selections"][2] = wide["answers"][0]["selections"][2]
    assert EncryptedBallot.from_json(data).tracking_code() == ballot.tracking_code()


def test_off_curve_uncompressed_point_in_a_ballot_is_refused() -> None:
    wide = _ballot(PICK, [1, 0, 0, 0, 0], "u-bad").to_json(uncompressed=True)
    bad = copy.deepcopy(wide)
    alpha = bad["answers"][0]["selections"][1]["ciphertext"][0]
    y = (int(alpha[66:], 16) + 1) % P
    bad["answers"][0]["selections"][1]["ciphertext"][0] = alpha[:66] + f"{y:064x}"
    with pytest.raises(InvalidPoint, match="not on secp256k1"):
        EncryptedBallot.from_json(bad)
    with pytest.raises(InvalidPoint):
        ballot_json_uncompressed(bad)
    bad = copy.deepcopy(wide)
    bad["answers"][0]["sum_proof"]["commitments"][0][1] = "04" + "ff" * 64
    with pytest.raises(InvalidPoint, match="out of range"):
        EncryptedBallot.from_json(bad)


def test_ciphertext_json_both_forms() -> None:
    ct = Ciphertext(base_mult(5), base_mult(7))
    assert Ciphertext.from_json(ct.to_json(uncompressed=True)) == ct
    assert Ciphertext.from_json(ct.to_json()) == ct


def test_batch_verification_of_uncompressed_ballots() -> None:
    ballots = [_ballot(PICK, [1, i % 2, 0, 0, 0], f"u-{i}") for i in range(6)]
    wide = [b.to_json(uncompressed=True) for b in ballots]
    assert batch_verify_ballots(wide, [PICK], KEY.point, FP, workers=1) == []
    mixed = [b.to_json(uncompressed=i % 2 == 0) for i, b in enumerate(ballots)]
    assert batch_verify_ballots(mixed, [PICK], KEY.point, FP, workers=2) == []
    # a valid point of another ballot swapped in: still on the curve, so only the proofs catch it
    wide[3]["answers"][0]["selections"][0]["ciphertext"] = wide[4]["answers"][0]["selections"][0]["ciphertext"]
    messages = batch_verify_ballots(wide, [PICK], KEY.point, FP, workers=1)
    assert len(messages) == 1
    assert "u-3" in messages[0]
