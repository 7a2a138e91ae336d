"""The verifier's fast payload hash (``voting.record.verify_ballots.payload_hash_hex``) is the reference
one — RFC 8785 of the payload with its points compressed — on real ballots and on payloads built to
trip a text-level shortcut: escaped quotes before point-like text, point-like keys, upper-case hex,
non-ASCII, control characters, DEL, large and negative numbers, nesting."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voting.crypto.errors import CryptoError
from voting.record import canonical as record
from voting.record.verify_ballots import compressed, payload_hash_hex

X = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
Y_EVEN = "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
POINT = "04" + X + Y_EVEN
ODD_POINT = "04" + X + "b7c52588d95c3b9aa25b0403f1eef75702e84bb7597aabe663b82f6f04ef2777"


def reference(payload: object) -> str:
    return record.sha256_hex(dict(compressed(payload)))  # type: ignore[call-overload]


@pytest.mark.parametrize("payload", [
    {"a": POINT, "b": [POINT, ODD_POINT], "c": {"d": [[POINT]]}},
    {POINT: POINT},                                     # a point-like key stays as it is
    {"x": 'quote " then ' + POINT},                    # not a whole string
    {"x": '"' + POINT + '"'},                           # escaped quotes around point-like text
    {"x": "a\\", "y": POINT},                           # escaped backslash before a closing quote
    {"x": POINT.upper()},                               # upper case is not a point encoding
    {"x": POINT + "0"}, {"x": POINT[:-1]},              # 131 and 129 characters
    {"x": "tab\tnew\nline\r\x08\x0c", "y": POINT},      # short escapes
    {"x": "\x01\x1f\x7f", "y": POINT},                  # \u escapes in one encoder or both
    {"é": POINT, "x": "ü € 𝄞"},                        # non-ASCII keys and values
    {"n": 9007199254740991, "m": -9007199254740991, "k": 0, "t": True, "f": False, "z": None},
    {"n": 1234567890123456, "p": POINT},                # 16 digits: below 2^53, still exact
    {"list": [1, -2, [3, [POINT, {"q": ODD_POINT}]]], "empty": {}, "e": []},
    {"b": 1, "a": 2, "B": 3, "_": 4, "aa": 5, "a0": 6},
])
def test_fast_hash_is_the_reference(payload: dict) -> None:
    assert payload_hash_hex(payload) == reference(payload)


@pytest.mark.parametrize("payload", [{"n": 2**53}, {"n": -(2**53)}, {"f": 1.5}, {"s": "\ud800"}, [POINT]])
def test_what_the_reference_refuses_is_refused(payload: object) -> None:
    with pytest.raises((CryptoError, TypeError, ValueError)):
        reference(payload)
    with pytest.raises((CryptoError, TypeError, ValueError)):
        payload_hash_hex(payload)


_TEXT = st.lists(st.sampled_from(string.printable + '"\\\x00\x7féü€𝄞') | st.just(POINT), max_size=8).map("".join)
_STRINGS = st.one_of(_TEXT, st.sampled_from([POINT, ODD_POINT, POINT.upper(), POINT[:-2], '"' + POINT]))
_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1), _STRINGS)
_JSON = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(_STRINGS, inner, max_size=4), max_leaves=20)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_STRINGS, _JSON, max_size=5))
def test_fast_hash_matches_on_generated_payloads(payload: dict) -> None:
    assert payload_hash_hex(payload) == reference(payload)
