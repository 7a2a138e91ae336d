"""Append-only Merkle log of the bulletin board (RFC 9162, Certificate Transparency 2.0, section 2.1).

- leaf hash ``SHA-256(0x00 || leaf)``, node hash ``SHA-256(0x01 || left || right)``;
- ``MTH({}) = SHA-256("")``; for n > 1 the tree splits at k, the largest power of two < n;
- inclusion proofs (§2.1.3.1 ``PATH``) and their verification (§2.1.3.2);
- consistency proofs (§2.1.4.1 ``PROOF``/``SUBPROOF``) and their verification (§2.1.4.2).

:class:`MerkleLog` keeps every complete, aligned subtree hash (one list per level), so appending is
amortised O(1) hashes and the root or any proof costs O(log n) look-ups.

:class:`SignedTreeHead` is the board's published state, signed with the cooperative's BLS key over
``STH_CONTEXT_V2 || hashing.encode("sth-v2", fingerprint, size, root, timestamp, previous)``, where
``previous`` is the :meth:`~SignedTreeHead.head_hash` of the head signed before it (32 zero bytes,
:data:`NO_PREVIOUS`, for an election's first head), so the heads form a hash chain that a record cannot
shorten or reorder without breaking a signature. Heads of version-1 records have no ``previous`` and
were signed over ``STH_CONTEXT || hashing.encode("sth", fingerprint, size, root, timestamp)``; both
forms are read (see :meth:`SignedTreeHead.signed_message`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import bls
from .errors import InvalidEncoding, MerkleError
from .hashing import encode

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
STH_CONTEXT = b"DATAGUILD-V1-SIGNED-TREE-HEAD\x00"
STH_CONTEXT_V2 = b"DATAGUILD-V2-SIGNED-TREE-HEAD\x00"
#: The ``previous`` of an election's first (creation) head.
NO_PREVIOUS = bytes(32)
_LOWER_HEX = re.compile(r"(?:[0-9a-f]{2})*")


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _check_hashes(items: Sequence[bytes], what: str) -> None:
    if not all(_is_hash(x) for x in items):
        raise MerkleError(f"{what}: every hash must be {HASH_SIZE} bytes")


class MerkleLog:
    """An append-only RFC 9162 log. ``levels[h][i]`` is the hash of leaves ``[i·2^h, (i+1)·2^h)``."""

    __slots__ = ("_levels",)

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for leaf in leaves:
            self.append(leaf)

    def append(self, leaf: bytes) -> int:
        """Add a leaf (the raw leaf data); return its index."""
        if not isinstance(leaf, bytes | bytearray):
            raise MerkleError("a Merkle leaf must be bytes")
        return self.append_hash(leaf_hash(bytes(leaf)))

    def append_hash(self, hashed: bytes) -> int:
        """Add an already hashed leaf (``leaf_hash(data)``); return its index."""
        if not _is_hash(hashed):
            raise MerkleError(f"a leaf hash must be {HASH_SIZE} bytes")
        index = len(self._levels[0])
        level, node = 0, hashed
        while True:
            row = self._levels[level]
            row.append(node)
            if len(row) % 2:
                break
            node = node_hash(row[-2], row[-1])
            level += 1
            if level == len(self._levels):
                self._levels.append([])
        return index

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def __len__(self) -> int:
        return self.size

    def leaf_hash_at(self, index: int) -> bytes:
        self._check_index(index, self.size)
        return self._levels[0][index]

    def _check_index(self, index: int, size: int) -> None:
        if not isinstance(index, int) or not 0 <= index < size:
            raise MerkleError(f"leaf index {index} out of range for tree size {size}")

    def _check_size(self, size: int) -> None:
        if not isinstance(size, int) or not 0 <= size <= self.size:
            raise MerkleError(f"tree size {size} out of range (log has {self.size} leaves)")

    def _subtree(self, lo: int, hi: int) -> bytes:
        """MTH of leaves [lo, hi) (0 <= lo < hi <= size)."""
        width = hi - lo
        if width & (width - 1) == 0 and lo % width == 0:
            return self._levels[width.bit_length() - 1][lo // width]
        k = _split(width)
        return node_hash(self._subtree(lo, lo + k), self._subtree(lo + k, hi))

    def root(self, size: int | None = None) -> bytes:
        """The tree head of the first ``size`` leaves (default: all)."""
        size = self.size if size is None else size
        self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._subtree(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 ``PATH(index, D[size])``, leaf to root."""
        size = self.size if size is None else size
        self._check_size(size)
        self._check_index(index, size)
        path: list[bytes] = []
        lo, hi = 0, size
        while hi - lo > 1:
            k = _split(hi - lo)
            if index < lo + k:
                path.append(self._subtree(lo + k, hi))
                hi = lo + k
            else:
                path.append(self._subtree(lo, lo + k))
                lo += k
        path.reverse()
        return path

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """RFC 9162 ``PROOF(first, D[second])``; empty when ``first`` is 0 or equals ``second``."""
        second = self.size if second is None else second
        self._check_size(second)
        if not isinstance(first, int) or not 0 <= first <= second:
            raise MerkleError(f"first tree size {first} must be between 0 and {second}")
        if first in (0, second):
            return []
        proof: list[bytes] = []
        lo, hi, m, complete = 0, second, first, True
        while m != hi - lo:
            k = _split(hi - lo)
            if m <= k:
                proof.append(self._subtree(lo + k, hi))
                hi = lo + k
            else:
                proof.append(self._subtree(lo, lo + k))
                lo, m, complete = lo + k, m - k, False
        if not complete:
            proof.append(self._subtree(lo, hi))
        proof.reverse()
        return proof


def root_from_inclusion_proof(leaf_digest: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root implied by an inclusion proof (raises on a malformed proof)."""
    if not isinstance(index, int) or not isinstance(size, int) or not 0 <= index < size:
        raise MerkleError(f"leaf index {index} out of range for tree size {size}")
    if not _is_hash(leaf_digest):
        raise MerkleError(f"a leaf hash must be {HASH_SIZE} bytes")
    _check_hashes(proof, "inclusion proof")
    fn, sn, r = index, size - 1, leaf_digest
    for p in proof:
        if sn == 0:
            raise MerkleError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MerkleError("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that raw ``leaf`` is at ``index`` of the tree of ``size`` leaves with head ``root``."""
    verify_inclusion_hash(leaf_hash(leaf), index, size, proof, root)


def verify_inclusion_hash(leaf_digest: bytes, index: int, size: int, proof: Sequence[bytes],
                          root: bytes) -> None:
    if root_from_inclusion_proof(leaf_digest, index, size, proof) != root:
        raise MerkleError(f"inclusion proof for leaf {index} does not lead to the tree head of size {size}")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: Sequence[bytes]) -> None:
    """RFC 9162 §2.1.4.2: the tree of size ``second`` extends the tree of size ``first``.

    Sizes equal: the proof must be empty and the roots equal. ``first == 0``: the proof must be
    empty (every tree extends the empty tree).
    """
    for size in (first, second):
        if not isinstance(size, int) or size < 0:
            raise MerkleError("tree sizes must be non-negative integers")
    if not (_is_hash(first_root) and _is_hash(second_root)):
        raise MerkleError(f"tree heads must be {HASH_SIZE} bytes")
    _check_hashes(proof, "consistency proof")
    if first > second:
        raise MerkleError(f"first tree size {first} is larger than second tree size {second}")
    if first in (second, 0):
        if proof:
            raise MerkleError("consistency proof must be empty when a size is 0 or both sizes are equal")
        if first == second and first_root != second_root:
            raise MerkleError("tree heads of equal size differ")
        return
    if not proof:
        raise MerkleError("consistency proof is empty")
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise MerkleError("consistency proof is longer than expected")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MerkleError("consistency proof is shorter than expected")
    if fr != first_root:
        raise MerkleError(f"consistency proof does not reproduce the tree head of size {first}")
    if sr != second_root:
        raise MerkleError(f"consistency proof does not reproduce the tree head of size {second}")


def _hex32(value: object, what: str) -> bytes:
    if not isinstance(value, str) or not _LOWER_HEX.fullmatch(value):
        raise InvalidEncoding(f"{what} must be a lowercase hex string")
    raw = bytes.fromhex(value)
    if len(raw) != HASH_SIZE:
        raise InvalidEncoding(f"{what} must be {HASH_SIZE} bytes")
    return raw


def _nonneg_int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidEncoding(f"{what} must be a non-negative integer")
    return value


def head_hash(fingerprint: bytes, size: int, root: bytes, timestamp: int, previous: bytes | None) -> bytes:
    """SHA-256 of a head's signed message (:meth:`SignedTreeHead.signed_message`): what the next head's
    ``previous`` and a receipt's ``head`` hold. The signature is not hashed: the message is what the
    key vouched for."""
    return hashlib.sha256(SignedTreeHead.signed_message(fingerprint, size, root, timestamp, previous)).digest()


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    """A tree head signed by the cooperative's BLS key. ``timestamp`` is Unix time in milliseconds;
    ``previous`` is the hash of the head signed before it (:data:`NO_PREVIOUS` for the first head), or
    None for an unchained head of a version-1 record."""

    fingerprint: bytes
    size: int
    root: bytes
    timestamp: int
    signature: bls.BlsSignature
    previous: bytes | None = None

    @staticmethod
    def signed_message(fingerprint: bytes, size: int, root: bytes, timestamp: int,
                       previous: bytes | None = None) -> bytes:
        """``STH_CONTEXT_V2 || encode("sth-v2", fingerprint, size, root, timestamp, previous)`` for a
        chained head; ``STH_CONTEXT || encode("sth", fingerprint, size, root, timestamp)`` when
        ``previous`` is None (version 1). ``hashing.encode`` framing."""
        if previous is None:
            return STH_CONTEXT + encode("sth", fingerprint, size, root, timestamp)
        return STH_CONTEXT_V2 + encode("sth-v2", fingerprint, size, root, timestamp, previous)

    def message(self) -> bytes:
        return self.signed_message(self.fingerprint, self.size, self.root, self.timestamp, self.previous)

    def head_hash(self) -> bytes:
        return head_hash(self.fingerprint, self.size, self.root, self.timestamp, self.previous)

    @classmethod
    def create(cls, key: bls.BlsSecretKey, fingerprint: bytes, size: int, root: bytes,
               timestamp: int, previous: bytes | None = NO_PREVIOUS) -> SignedTreeHead:
        if not _is_hash(fingerprint) or not _is_hash(root) or (previous is not None and not _is_hash(previous)):
            raise InvalidEncoding(f"fingerprint, root and previous must be {HASH_SIZE} bytes")
        _nonneg_int(size, "tree size")
        _nonneg_int(timestamp, "timestamp")
        sig = bls.sign(key, cls.signed_message(fingerprint, size, root, timestamp, previous))
        return cls(fingerprint, size, root, timestamp, sig, previous)

    @classmethod
    def of_log(cls, key: bls.BlsSecretKey, fingerprint: bytes, log: MerkleLog, timestamp: int,
               previous: bytes | None = NO_PREVIOUS) -> SignedTreeHead:
        return cls.create(key, fingerprint, log.size, log.root(), timestamp, previous)

    def verify(self, public: bls.BlsPublicKey) -> None:
        """Raise :class:`InvalidSignature` unless the cooperative's key signed exactly this head."""
        bls.verify(public, self.message(), self.signature)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"fingerprint": self.fingerprint.hex(), "size": self.size, "root": self.root.hex(),
                                   "timestamp": self.timestamp}
        if self.previous is not None:
            data["previous"] = self.previous.hex()
        return {**data, "signature": self.signature.to_hex()}

    @classmethod
    def from_json(cls, data: object) -> SignedTreeHead:
        """A chained head (keys fingerprint, size, root, timestamp, previous, signature) or an unchained
        version-1 head (the same without previous)."""
        keys = {"fingerprint", "size", "root", "timestamp", "signature"}
        if not isinstance(data, dict) or set(data) not in (keys, keys | {"previous"}):
            raise InvalidEncoding("signed tree head must be an object with keys fingerprint, size, root, "
                                  "timestamp, previous, signature (previous absent in version 1)")
        previous = _hex32(data["previous"], "previous") if "previous" in data else None
        return cls(_hex32(data["fingerprint"], "fingerprint"), _nonneg_int(data["size"], "tree size"),
                   _hex32(data["root"], "root"), _nonneg_int(data["timestamp"], "timestamp"),
                   bls.BlsSignature.from_hex(data["signature"]), previous)


def verify_head_consistency(previous: SignedTreeHead, current: SignedTreeHead, proof: Sequence[bytes],
                            public: bls.BlsPublicKey) -> None:
    """What an observer checks between two published heads: both signed by the cooperative, same
    election, time does not go backwards, and ``current`` extends ``previous`` (RFC 9162 §2.1.4.2)."""
    if previous.fingerprint != current.fingerprint:
        raise MerkleError("tree heads belong to different elections")
    if current.timestamp < previous.timestamp:
        raise MerkleError("tree head timestamps go backwards")
    previous.verify(public)
    current.verify(public)
    verify_consistency(previous.size, current.size, previous.root, current.root, proof)
