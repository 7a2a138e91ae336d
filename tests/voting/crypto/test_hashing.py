"""Hashing: RFC 9380 expand_message_xmd vectors, the length-prefixed encoding, hash-to-scalar."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.crypto.group import IDENTITY, G, N, base_mult
from voting.crypto.hashing import (
    PROTOCOL_VERSION,
    challenge,
    dst,
    encode,
    encode_item,
    expand_message_xmd,
    hash_to_scalar,
)

# RFC 9380 Appendix K.1: expand_message_xmd with SHA-256.
RFC_DST = b"QUUX-V01-CS02-with-expander-SHA256-128"
Q128 = b"q128_" + b"q" * 128
A512 = b"a512_" + b"a" * 512
K1_VECTORS = [
    (b"", 0x20, "68a985b87eb6b46952128911f2a4412bbc302a9d759667f87f7a21d803f07235"),
    (b"abc", 0x20, "d8ccab23b5985ccea865c6c97b6e5b8350e794e603b4b97902f53a8a0d605615"),
    (b"abcdef0123456789", 0x20, "eff31487c770a893cfb36f912fbfcbff40d5661771ca4b2cb4eafe524333f5c1"),
    (Q128, 0x20, "b23a1d2b4d97b2ef7785562a7e8bac7eed54ed6e97e29aa51bfe3f12ddad1ff9"),
    (A512, 0x20, "4623227bcc01293b8c130bf771da8c298dede7383243dc0993d2d94823958c4c"),
    (b"", 0x80,
     "af84c27ccfd45d41914fdff5df25293e221afc53d8ad2ac06d5e3e29485dadbee0d121587713a3e0dd4d5e69e93eb7cd"
     "4f5df4cd103e188cf60cb02edc3edf18eda8576c412b18ffb658e3dd6ec849469b979d444cf7b26911a08e63cf31f9dc"
     "c541708d3491184472c2c29bb749d4286b004ceb5ee6b9a7fa5b646c993f0ced"),
    (b"abc", 0x80,
     "abba86a6129e366fc877aab32fc4ffc70120d8996c88aee2fe4b32d6c7b6437a647e6c3163d40b76a73cf6a5674ef1d8"
     "90f95b664ee0afa5359a5c4e07985635bbecbac65d747d3d2da7ec2b8221b17b0ca9dc8a1ac1c07ea6a1e60583e2cb00"
     "058e77b7b72a298425cd1b941ad4ec65e8afc50303a22c0f99b0509b4c895f40"),
    (b"abcdef0123456789", 0x80,
     "ef904a29bffc4cf9ee82832451c946ac3c8f8058ae97d8d629831a74c6572bd9ebd0df635cd1f208e2038e760c499498"
     "4ce73f0d55ea9f22af83ba4734569d4bc95e18350f740c07eef653cbb9f87910d833751825f0ebefa1abe5420bb52be1"
     "4cf489b37fe1a72f7de2d10be453b2c9d9eb20c7e3f6edc5a60629178d9478df"),
    (Q128, 0x80,
     "80be107d0884f0d881bb460322f0443d38bd222db8bd0b0a5312a6fedb49c1bbd88fd75d8b9a09486c60123dfa1d73c1"
     "cc3169761b17476d3c6b7cbbd727acd0e2c942f4dd96ae3da5de368d26b32286e32de7e5a8cb2949f866a0b80c58116b"
     "29fa7fabb3ea7d520ee603e0c25bcaf0b9a5e92ec6a1fe4e0391d1cdbce8c68a"),
    (A512, 0x80,
     "546aff5444b5b79aa6148bd81728704c32decb73a3ba76e9e75885cad9def1d06d6792f8a7d12794e90efed817d96920"
     "d728896a4510864370c207f99bd4a608ea121700ef01ed879745ee3e4ceef777eda6d9e5e38b90c86ea6fb0b36504ba4"
     "a45d22e86f6db5dd43d98a294bebb9125d5b794e9d2a81181066eb954966a487"),
]


@pytest.mark.parametrize(("msg", "length", "expected"), K1_VECTORS,
                         ids=[f"{m[:8]!r}-{n:#x}" for m, n, _ in K1_VECTORS])
def test_expand_message_xmd_rfc9380_k1(msg: bytes, length: int, expected: str) -> None:
    assert expand_message_xmd(msg, RFC_DST, length).hex() == expected


def test_expand_message_xmd_odd_length_is_a_prefix() -> None:
    # len_in_bytes is hashed in, so a shorter output is not a prefix of a longer one...
    assert expand_message_xmd(b"abc", RFC_DST, 48) != expand_message_xmd(b"abc", RFC_DST, 0x80)[:48]
    # ...but the requested length is honoured exactly.
    assert len(expand_message_xmd(b"abc", RFC_DST, 33)) == 33


def test_expand_message_xmd_rejects_oversized_requests() -> None:
    with pytest.raises(ValueError, match="too long"):
        expand_message_xmd(b"", RFC_DST, 255 * 32 + 1)
    with pytest.raises(ValueError, match="too long"):
        expand_message_xmd(b"", b"x" * 256, 32)


def test_dst_names_protocol_group_and_purpose() -> None:
    assert dst("proof/disjunctive") == b"DATAGUILD-V1-SECP256K1_XMD:SHA-256_proof/disjunctive"
    with pytest.raises(ValueError, match="longer than 255"):
        dst("x" * 300)


def test_encoding_layout() -> None:
    assert encode_item(b"ab") == b"\x01\x00\x00\x00\x02ab"
    assert encode_item("é") == b"\x02\x00\x00\x00\x02\xc3\xa9"
    assert encode_item(0) == b"\x03\x00\x00\x00\x01\x00"
    assert encode_item(255) == b"\x03\x00\x00\x00\x02\x00\xff"  # sign bit needs a leading zero
    assert encode_item(-1) == b"\x03\x00\x00\x00\x01\xff"
    assert encode_item(IDENTITY) == b"\x04\x00\x00\x00\x01\x00"
    assert encode_item(G) == b"\x04\x00\x00\x00\x21" + G.to_bytes()
    assert encode_item([1, "a"]) == b"\x05\x00\x00\x00\x0c" + encode_item(1) + encode_item("a")
    assert encode(1, "a") == encode_item(1) + encode_item("a")


@pytest.mark.parametrize(("left", "right"), [
    ((b"ab", b"c"), (b"a", b"bc")),             # boundaries move
    ((b"1",), ("1",)),                          # bytes vs str
    (("1",), (1,)),                             # str vs int
    ((1,), (b"\x01",)),                         # int vs bytes
    (([1, 2],), (1, 2)),                        # nesting vs flat
    (([[1], 2],), ([1, [2]],)),                 # nesting shape
    (([],), ([[]],)),                           # empty list vs list holding an empty list
    ((0,), (-0, 0)),                            # item count
    ((IDENTITY,), (b"\x00",)),                  # identity vs a zero byte
    ((128,), (-128,)),                          # sign
])
def test_encoding_is_injective_on_examples(left: tuple[object, ...], right: tuple[object, ...]) -> None:
    assert encode(*left) != encode(*right)  # type: ignore[arg-type]


def test_sequences_encode_alike_whether_list_or_tuple() -> None:
    assert encode([1, 2]) == encode((1, 2))


@pytest.mark.parametrize("item", [True, 1.5, None, {"a": 1}, {1, 2}])
def test_encoding_rejects_other_types(item: object) -> None:
    with pytest.raises(TypeError):
        encode(item)  # type: ignore[arg-type]


encodable = st.recursive(
    st.one_of(st.binary(max_size=8), st.text(max_size=4), st.integers(-(2**70), 2**70)),
    lambda children: st.lists(children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None)
@given(st.lists(encodable, max_size=4), st.lists(encodable, max_size=4))
def test_encoding_is_injective(left: list[object], right: list[object]) -> None:
    if not _same(left, right):
        assert encode(*left) != encode(*right)  # type: ignore[arg-type]


def _same(a: object, b: object) -> bool:
    """Structural equality that also distinguishes bytes/str/int (1 == True aside)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=64))
def test_hash_to_scalar_in_range_and_domain_separated(data: bytes) -> None:
    a = hash_to_scalar(dst("test/a"), data)
    b = hash_to_scalar(dst("test/b"), data)
    assert 0 <= a < N
    assert 0 <= b < N
    assert a != b


def test_hash_to_scalar_is_wide_reduction_of_xmd() -> None:
    uniform = expand_message_xmd(encode(b"x", 7), dst("test"), 48)
    assert hash_to_scalar(dst("test"), b"x", 7) == int.from_bytes(uniform, "big") % N


def test_challenge_binds_every_part() -> None:
    fp = b"\x11" * 32
    base = challenge("proof/test", fp, [0, 1], [base_mult(2)], [base_mult(3)])
    assert 0 <= base < N
    variants = [
        challenge("proof/other", fp, [0, 1], [base_mult(2)], [base_mult(3)]),
        challenge("proof/test", b"\x12" * 32, [0, 1], [base_mult(2)], [base_mult(3)]),
        challenge("proof/test", fp, [0, 2], [base_mult(2)], [base_mult(3)]),
        challenge("proof/test", fp, [0, 1], [base_mult(4)], [base_mult(3)]),
        challenge("proof/test", fp, [0, 1], [base_mult(2)], [base_mult(5)]),
        # moving an item between statement and commitments changes the challenge
        challenge("proof/test", fp, [0, 1], [base_mult(2), base_mult(3)], []),
    ]
    assert base not in variants
    assert len(set(variants)) == len(variants)
    assert PROTOCOL_VERSION.startswith("dataguild-")
