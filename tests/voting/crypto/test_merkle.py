"""RFC 9162 Merkle log: CT reference vectors, brute-force cross-checks against the RFC's recursive
definitions for every size up to 33, tampering, and signed tree heads."""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import replace as dataclasses_replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.crypto import bls, merkle
from voting.crypto.errors import InvalidEncoding, InvalidSignature, MerkleError

# The test tree of certificate-transparency (merkle_tree_test.cc) and trillian (merkle/testonly).
CT_LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index (0-based), tree size, path)
CT_INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (0, 1, []),
]
# (first size, second size, proof)
CT_CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]


# --- the RFC's recursive definitions, written as literally as possible -----------------------
def ref_mth(leaves: list[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:])).digest()


def ref_path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [ref_mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*ref_subproof(m, leaves[:k], complete), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


MAX = 33
LEAVES = [f"leaf-{i}".encode() for i in range(MAX)]
LOG = merkle.MerkleLog(LEAVES)
ROOTS = [ref_mth(LEAVES[:n]) for n in range(MAX + 1)]


def test_ct_reference_roots() -> None:
    log = merkle.MerkleLog()
    assert log.root() == hashlib.sha256(b"").digest() == merkle.EMPTY_ROOT
    for leaf, expected in zip(CT_LEAVES, CT_ROOTS, strict=True):
        log.append(leaf)
        assert log.root().hex() == expected
    for size in range(1, 9):
        assert log.root(size).hex() == CT_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_ct_reference_inclusion_proofs(index: int, size: int, path: list[str]) -> None:
    log = merkle.MerkleLog(CT_LEAVES)
    assert [p.hex() for p in log.inclusion_proof(index, size)] == path
    merkle.verify_inclusion(CT_LEAVES[index], index, size, [bytes.fromhex(p) for p in path],
                            bytes.fromhex(CT_ROOTS[size - 1]))


@pytest.mark.parametrize(("first", "second", "proof"), CT_CONSISTENCY)
def test_ct_reference_consistency_proofs(first: int, second: int, proof: list[str]) -> None:
    log = merkle.MerkleLog(CT_LEAVES)
    assert [p.hex() for p in log.consistency_proof(first, second)] == proof
    merkle.verify_consistency(first, second, bytes.fromhex(CT_ROOTS[first - 1]),
                              bytes.fromhex(CT_ROOTS[second - 1]), [bytes.fromhex(p) for p in proof])


def test_roots_match_reference_for_every_size() -> None:
    log = merkle.MerkleLog()
    assert log.root() == ROOTS[0]
    for n in range(1, MAX + 1):
        log.append(LEAVES[n - 1])
        assert log.root() == ROOTS[n]
        assert log.size == len(log) == n
    assert [LOG.root(n) for n in range(MAX + 1)] == ROOTS


def _flip(proof: list[bytes], i: int) -> list[bytes]:
    bad = list(proof)
    bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
    return bad


def test_every_inclusion_proof_up_to_33() -> None:
    for size in range(1, MAX + 1):
        for index in range(size):
            proof = LOG.inclusion_proof(index, size)
            assert proof == ref_path(index, LEAVES[:size])
            merkle.verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])
            # every alteration is rejected: another leaf, index, size, root, a changed/missing/extra hash
            with pytest.raises(MerkleError):
                merkle.verify_inclusion(b"other", index, size, proof, ROOTS[size])
            with pytest.raises(MerkleError):
                merkle.verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size - 1])
            if size > 1:
                with pytest.raises(MerkleError):
                    merkle.verify_inclusion(LEAVES[index], (index + 1) % size, size, proof, ROOTS[size])
            for i in range(len(proof)):
                with pytest.raises(MerkleError):
                    merkle.verify_inclusion(LEAVES[index], index, size, _flip(proof, i), ROOTS[size])
            with pytest.raises(MerkleError):
                merkle.verify_inclusion(LEAVES[index], index, size, [*proof, ROOTS[0]], ROOTS[size])
            if proof:
                with pytest.raises(MerkleError):
                    merkle.verify_inclusion(LEAVES[index], index, size, proof[:-1], ROOTS[size])


def test_every_consistency_proof_up_to_33() -> None:
    for second in range(MAX + 1):
        for first in range(second + 1):
            proof = LOG.consistency_proof(first, second)
            expected = [] if first in (0, second) else ref_subproof(first, LEAVES[:second], True)
            assert proof == expected
            merkle.verify_consistency(first, second, ROOTS[first], ROOTS[second], proof)
            if 0 < first < second:
                with pytest.raises(MerkleError):
                    merkle.verify_consistency(first, second, ROOTS[first - 1], ROOTS[second], proof)
                with pytest.raises(MerkleError):
                    merkle.verify_consistency(first, second, ROOTS[first], ROOTS[second - 1], proof)
                for i in range(len(proof)):
                    with pytest.raises(MerkleError):
                        merkle.verify_consistency(first, second, ROOTS[first], ROOTS[second], _flip(proof, i))
                with pytest.raises(MerkleError):
                    merkle.verify_consistency(first, second, ROOTS[first], ROOTS[second], proof[:-1])
                with pytest.raises(MerkleError):
                    merkle.verify_consistency(first, second, ROOTS[first], ROOTS[second], [*proof, ROOTS[0]])


def test_consistency_edge_cases() -> None:
    with pytest.raises(MerkleError, match="larger than"):
        merkle.verify_consistency(3, 2, ROOTS[3], ROOTS[2], [])
    with pytest.raises(MerkleError, match="must be empty"):
        merkle.verify_consistency(0, 4, ROOTS[0], ROOTS[4], [ROOTS[1]])
    with pytest.raises(MerkleError, match="differ"):
        merkle.verify_consistency(4, 4, ROOTS[4], ROOTS[3], [])
    with pytest.raises(MerkleError, match="32 bytes"):
        merkle.verify_consistency(1, 4, ROOTS[1], ROOTS[4], [b"short"])


def test_index_and_size_errors() -> None:
    with pytest.raises(MerkleError, match="out of range"):
        LOG.inclusion_proof(5, 5)
    with pytest.raises(MerkleError, match="out of range"):
        LOG.inclusion_proof(0, MAX + 1)
    with pytest.raises(MerkleError, match="between"):
        LOG.consistency_proof(6, 5)
    with pytest.raises(MerkleError, match="out of range"):
        merkle.verify_inclusion(b"x", 0, 0, [], ROOTS[0])
    with pytest.raises(MerkleError, match="bytes"):
        merkle.MerkleLog().append("text")  # type: ignore[arg-type]
    with pytest.raises(MerkleError, match="out of range"):
        LOG.leaf_hash_at(MAX)


@settings(max_examples=20, deadline=None)
@given(sizes=st.lists(st.integers(1, 300), min_size=2, max_size=4))
def test_growing_log_heads_stay_consistent(sizes: list[int]) -> None:
    log = merkle.MerkleLog()
    heads: list[tuple[int, bytes]] = []
    for step in sizes:
        for _ in range(step):
            log.append(log.size.to_bytes(4, "big"))
        heads.append((log.size, log.root()))
    for (m, rm), (n, rn) in itertools.pairwise(heads):
        merkle.verify_consistency(m, n, rm, rn, log.consistency_proof(m, n))
        idx = (m * 7) % n
        merkle.verify_inclusion(idx.to_bytes(4, "big"), idx, n, log.inclusion_proof(idx, n), rn)


def test_ten_thousand_leaves_is_fast() -> None:
    start = time.perf_counter()
    log = merkle.MerkleLog(i.to_bytes(4, "big") for i in range(10_000))
    root = log.root()
    for idx in range(0, 10_000, 97):
        merkle.verify_inclusion(idx.to_bytes(4, "big"), idx, 10_000, log.inclusion_proof(idx), root)
    merkle.verify_consistency(6_543, 10_000, log.root(6_543), root, log.consistency_proof(6_543))
    assert time.perf_counter() - start < 5


def test_signed_tree_head_roundtrip_and_tampering() -> None:
    key = bls.keygen(b"\x42" * 32)
    public = key.public_key()
    fingerprint = hashlib.sha256(b"election").digest()
    sth = merkle.SignedTreeHead.of_log(key, fingerprint, LOG, timestamp=1_700_000_000_000)
    sth.verify(public)
    again = merkle.SignedTreeHead.from_json(sth.to_json())
    assert again == sth
    assert sth.to_json()["size"] == MAX
    forged = merkle.SignedTreeHead.from_json({**sth.to_json(), "size": MAX + 1})
    with pytest.raises(InvalidSignature):
        forged.verify(public)
    with pytest.raises(InvalidEncoding, match="keys"):
        merkle.SignedTreeHead.from_json({**sth.to_json(), "extra": 1})
    with pytest.raises(InvalidEncoding, match="32 bytes"):
        merkle.SignedTreeHead.from_json({**sth.to_json(), "root": "00"})
    with pytest.raises(InvalidEncoding, match="lowercase hex"):
        merkle.SignedTreeHead.from_json({**sth.to_json(), "root": sth.root.hex().upper()})
    with pytest.raises(InvalidEncoding, match="non-negative"):
        merkle.SignedTreeHead.from_json({**sth.to_json(), "size": -1})
    assert merkle.SignedTreeHead.signed_message(fingerprint, 1, ROOTS[1], 5).startswith(merkle.STH_CONTEXT)


def test_documented_signed_tree_head_vector() -> None:
    """docs/crypto-trustees.md: the STH encoding and its (deterministic) BLS signature."""
    key = bls.keygen(b"\x42" * 32)
    assert key.public_key().to_hex() == ("95e8938e0974808cacb1926f1cf87561b1b98e76a7a74291285b4f7d84092ffa"
                                         "e92609a21a56394d6aa19be7195c7a65")
    fingerprint = hashlib.sha256(b"dataguild test vector election").digest()
    log = merkle.MerkleLog([b"ballot-0", b"ballot-1", b"ballot-2"])
    assert log.root().hex() == "e2ecce54bccb1c6982763668d50ea896f91bb01446b31c53ec2329d49df0db0d"
    msg = merkle.SignedTreeHead.signed_message(fingerprint, 3, log.root(), 1_700_000_000_000)
    assert msg.hex() == (
        "444154414755494c442d56312d5349474e45442d545245452d48454144000200000003737468"
        "0100000020748827d34b7d426e4c84b806749923349d24e2358a49274dc9bb99871855e645"
        "030000000103"
        "0100000020e2ecce54bccb1c6982763668d50ea896f91bb01446b31c53ec2329d49df0db0d"
        "0300000006018bcfe56800")
    sth = merkle.SignedTreeHead.of_log(key, fingerprint, log, 1_700_000_000_000, previous=None)
    assert sth.signature.to_hex() == (
        "96c7bdac6b5cdfe3fd8050f45fb8c3652b076766fa3e55bb1056c653e73ab0e3a1a8cfcec3c36167412427ae1e92914f"
        "0e62b7d37229de11cf1b322d41ec1dd91da16c8e2c5d00ee256b41fd88bae77adc5d2d379ff448a7ee0b41f3ec7173cd")


def test_documented_chained_tree_head_vector() -> None:
    """docs/crypto-trustees.md "Chained heads": a creation head (size 0) and the head after it, which
    names the creation head's hash; both hashes and the second signature are fixed."""
    key = bls.keygen(b"\x42" * 32)
    fingerprint = hashlib.sha256(b"dataguild test vector election").digest()
    first = merkle.SignedTreeHead.create(key, fingerprint, 0, merkle.EMPTY_ROOT, 1_699_999_000_000)
    assert first.previous == merkle.NO_PREVIOUS
    assert first.message().startswith(merkle.STH_CONTEXT_V2 + bytes.fromhex("0200000006") + b"sth-v2")
    assert first.head_hash().hex() == "94233aa1eac074f7e6c23117e0d8623c5356119932e155e0edc6d905e6a7fe2c"
    log = merkle.MerkleLog([b"ballot-0", b"ballot-1", b"ballot-2"])
    sth = merkle.SignedTreeHead.of_log(key, fingerprint, log, 1_700_000_000_000, first.head_hash())
    assert sth.message().hex().endswith("0100000020" + first.head_hash().hex())
    assert sth.head_hash().hex() == "9cf628195370c2fd34e3d8ab74a30a247f3ce9e47ab170b5cf84f17d63e510a6"
    assert sth.signature.to_hex() == (
        "96fe42dfee3a9053dc0979bc4dbce5d2df68439178c74b6cd8554517d9847905bf6d0631a93686da915dc3831630855104"
        "465625f2615ef2f5182dc625ec7336dff9f8f7d0a9b2f93e0037e116de0fc80f20a1475dd8a7ae572307867695e183")
    sth.verify(key.public_key())
    assert merkle.SignedTreeHead.from_json(sth.to_json()) == sth
    unchained = merkle.SignedTreeHead.from_json({k: v for k, v in sth.to_json().items() if k != "previous"})
    with pytest.raises(InvalidSignature):
        unchained.verify(key.public_key())  # dropping previous changes the message: the signature no longer fits


def test_observer_checks_consecutive_heads() -> None:
    key = bls.keygen(b"\x43" * 32)
    public = key.public_key()
    fingerprint = hashlib.sha256(b"election").digest()
    old = merkle.SignedTreeHead.create(key, fingerprint, 5, LOG.root(5), 1000)
    new = merkle.SignedTreeHead.create(key, fingerprint, 9, LOG.root(9), 2000)
    merkle.verify_head_consistency(old, new, LOG.consistency_proof(5, 9), public)
    with pytest.raises(MerkleError, match="backwards"):
        merkle.verify_head_consistency(new, dataclasses_replace(old, timestamp=1), [], public)
    with pytest.raises(MerkleError, match="different elections"):
        merkle.verify_head_consistency(old, dataclasses_replace(new, fingerprint=bytes(32)), [], public)
    forked = merkle.SignedTreeHead.create(key, fingerprint, 9, merkle.MerkleLog([*LEAVES[:8], b"x"]).root(), 2000)
    with pytest.raises(MerkleError, match="size 9"):
        merkle.verify_head_consistency(old, forked, LOG.consistency_proof(5, 9), public)
