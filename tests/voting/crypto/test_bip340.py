"""BIP-340 against every row of the official test vectors, plus properties."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.crypto import bip340
from voting.crypto.errors import InvalidSignature
from voting.crypto.group import N

VECTORS = Path(__file__).resolve().parent / "data" / "bip340-test-vectors.csv"


def _rows() -> list[dict[str, str]]:
    with VECTORS.open(newline="") as fh:
        return list(csv.DictReader(fh))


# The vendored CSV has rows 0-14 (32-byte messages only). Upstream bip-0340/test-vectors.csv later
# added rows 15-18 for messages of other lengths; they are reproduced here verbatim.
_SK15 = "0340034003400340034003400340034003400340034003400340034003400340"
_PK15 = "778CAA53B4393AC467774D09497A87224BF9FAB6F6E68B23086497324D6FD117"
_VARIABLE_LENGTH = [
    ("15", "", "71535DB165ECD9FBBC046E5FFAEA61186BB6AD436732FCCC25291A55895464CF"
               "6069CE26BF03466228F19A3A62DB8A649F2D560FAC652827D1AF0574E427AB63", "message of size 0"),
    ("16", "11", "08A20A0AFEF64124649232E0693C583AB1B9934AE63B4C3511F3AE1134C6A303"
                 "EA3173BFEA6683BD101FA5AA5DBC1996FE7CACFC5A577D33EC14564CEC2BACBF", "message of size 1"),
    ("17", "0102030405060708090A0B0C0D0E0F1011",
     "5130F39A4059B43BC7CAC09A19ECE52B5D8699D1A71E3C52DA9AFDB6B50AC370"
     "C4A482B77BF960F8681540E25B6771ECE1E5A37FD80E5A51897C5566A97EA5A5", "message of size 17"),
    ("18", "99" * 100, "403B12B0D8555A344175EA7EC746566303321E5DBFA8BE6F091635163ECA79A8"
                       "585ED3E3170807E7C03B720FC54C7B23897FCBA0E9D0B4A06894CFD249F22367", "message of size 100"),
]
VENDORED = _rows()
ROWS = VENDORED + [
    {"index": idx, "secret key": _SK15, "public key": _PK15, "aux_rand": "00" * 32, "message": msg,
     "signature": sig, "verification result": "TRUE", "comment": comment}
    for idx, msg, sig, comment in _VARIABLE_LENGTH
]


def test_vector_file_is_complete() -> None:
    assert [r["index"] for r in VENDORED] == [str(i) for i in range(15)]
    assert {r["verification result"] for r in VENDORED} == {"TRUE", "FALSE"}
    assert any(len(r["message"]) != 64 for r in ROWS), "the variable-length message rows are present"


@pytest.mark.parametrize("row", [r for r in ROWS if r["secret key"]], ids=lambda r: r["index"])
def test_signing_rows_reproduce_signature(row: dict[str, str]) -> None:
    secret = bytes.fromhex(row["secret key"])
    assert bip340.pubkey_from_secret(secret).hex().upper() == row["public key"]
    sig = bip340.sign(secret, bytes.fromhex(row["message"]), bytes.fromhex(row["aux_rand"]))
    assert sig.hex().upper() == row["signature"]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f'{r["index"]}-{r["comment"][:40]}')
def test_every_row_verifies_to_stated_result(row: dict[str, str]) -> None:
    pub = bytes.fromhex(row["public key"])
    msg = bytes.fromhex(row["message"])
    sig = bytes.fromhex(row["signature"])
    if row["verification result"] == "TRUE":
        bip340.verify(pub, msg, sig)
    else:
        with pytest.raises(InvalidSignature):
            bip340.verify(pub, msg, sig)


@settings(max_examples=15, deadline=None)
@given(d=st.integers(1, N - 1), msg=st.binary(max_size=100), aux=st.binary(min_size=32, max_size=32))
def test_sign_verify_roundtrip_and_tampering(d: int, msg: bytes, aux: bytes) -> None:
    pub = bip340.pubkey_from_secret(d)
    sig = bip340.sign(d.to_bytes(32, "big"), msg, aux)
    bip340.verify(pub, msg, sig)
    with pytest.raises(InvalidSignature):
        bip340.verify(pub, msg + b"x", sig)
    bad = bytearray(sig)
    bad[40] ^= 1
    with pytest.raises(InvalidSignature):
        bip340.verify(pub, msg, bytes(bad))


@pytest.mark.parametrize(
    ("secret", "reason"),
    [(b"\x00" * 32, "out of range"), (N.to_bytes(32, "big"), "out of range"), (b"\x01" * 31, "32 bytes")],
)
def test_bad_secret_keys_rejected(secret: bytes, reason: str) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        bip340.sign(secret, b"m", b"\x00" * 32)


def test_malformed_inputs_rejected_with_reason() -> None:
    pub = bip340.pubkey_from_secret(3)
    sig = bip340.sign(3, b"m", b"\x00" * 32)
    with pytest.raises(InvalidSignature, match="64 bytes"):
        bip340.verify(pub, b"m", sig[:63])
    with pytest.raises(InvalidSignature, match="32 bytes"):
        bip340.verify(pub[:31], b"m", sig)
    with pytest.raises(InvalidSignature, match="aux_rand"):
        bip340.sign(3, b"m", b"short")
    with pytest.raises(InvalidSignature, match="message must be bytes"):
        bip340.verify(pub, "m", sig)  # type: ignore[arg-type]


def test_documented_receipt_vector() -> None:
    """docs/crypto-trustees.md: our own vector with a non-32-byte message."""
    sk = bytes(range(1, 33))
    assert bip340.pubkey_from_secret(sk).hex() == "84bf7562262bbd6940085748f3be6afa52ae317155181ece31b66351ccffa4b0"
    sig = bip340.sign(sk, b"dataguild receipt vector", bytes(32))
    assert sig.hex() == ("e4c544ca43d8c12b83b11bd967dd08571f16c57a9590c3e860e3fbe31d178f12"
                         "237b2d4462ecf0d39b1bea81f2d6c6fbe4a4a3e34f2e1f5b3546db5c787e5ea6")
