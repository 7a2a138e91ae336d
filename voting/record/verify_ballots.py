"""The verifier's one pass over the board, on all cores: every leaf's hash, every receipt signature,
every ballot's tracking code and proofs, every audited ballot's reveal, and the homomorphic sums of
the counted ballots, each ballot decoded once (docs/record-spec.md, "Running the reference verifier").

PURE: stdlib and the pure ``voting`` modules only (``dataguild-verify`` imports it).

Leaves travel to worker processes in chunks as their JSON; each worker checks its chunk with one
random linear combination for the ballot proofs (``ballot_weighted_terms``) and one for the BIP-340 receipt
signatures (BIP-340's batch verification: ``s·G − e·P − R == 0`` with R lifted from r, even y), and
bisects a chunk that fails to name the bad ballot and, inside it, the failing proof.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import re
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from voting.crypto.ballot import (
    EncryptedBallot,
    QuestionSpec,
    ballot_relation_groups,
    ballot_weighted_terms,
    check_audited_ballot,
)
from voting.crypto.batch import WEIGHT_BITS, WeightedTerms, find_bad_weighted, relations_hold, weighted_terms_hold
from voting.crypto.elgamal import Ciphertext, ElectionKey, sum_ciphertexts
from voting.crypto.errors import CryptoError
from voting.crypto.group import G, N, P, Point, lift_x
from voting.record import canonical as record

_UNCOMPRESSED = re.compile(r"04[0-9a-f]{128}")
#: Leaves per chunk: one multi-scalar multiplication each (Pippenger costs less per point in larger
#: ones) and one progress step.
CHUNK = 400


@dataclass(frozen=True)
class PassContext:
    """What every worker needs besides the leaves (sent once per worker)."""

    election_id: int
    fingerprint: str
    secrecy: str
    receipt_key: str
    specs: tuple[QuestionSpec, ...] | None        # None: the manifest's questions did not decode
    election_key: bytes | None                    # secret elections: the SEC1 election key
    counted: frozenset[int] = frozenset()          # leaf indexes whose ballots count


@dataclass
class PassResult:
    leaves: list[str] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    ballots: list[str] = field(default_factory=list)
    audits: list[str] = field(default_factory=list)
    undecodable: set[int] = field(default_factory=set)
    sums: list[list[Ciphertext]] | None = None      # per question and option, over the counted ballots
    ballots_checked: int = 0
    proofs_checked: int = 0
    audits_checked: int = 0
    receipts_checked: int = 0


def compressed(value: Any) -> Any:
    """``value`` with every uncompressed SEC1 point (``04``+x+y hex) rewritten compressed (what hashes see)."""
    if isinstance(value, str) and len(value) == 130 and _UNCOMPRESSED.fullmatch(value):
        return ("03" if int(value[-1], 16) & 1 else "02") + value[2:66]
    if isinstance(value, dict):
        return {k: compressed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [compressed(v) for v in value]
    return value


# A string value (never a key: those are followed by ":") that is an uncompressed point with an even
# or an odd y, in JSON text where every raw '"' delimits a string (one inside a string is escaped):
# opening quotes follow ':', ',' or '['; a match cannot start at a closing quote, which "04" never
# follows. Two template substitutions (02 for even y, 03 for odd) run without a Python callback.
_EVEN_Y_POINT = re.compile(rb'(?<=[:,\[])"04([0-9a-f]{64})[0-9a-f]{63}[02468ace]"(?=[,\]}])')
_ODD_Y_POINT = re.compile(rb'(?<=[:,\[])"04([0-9a-f]{64})[0-9a-f]{63}[13579bdf]"(?=[,\]}])')
# A number token the fast path cannot vouch for: 16+ digits (maybe beyond RFC 8785's 2^53 - 1) or a
# fraction or exponent. Such text falls back to the reference encoder (which refuses them).
_UNSURE_NUMBER = re.compile(rb"[:,\[]-?[0-9]+(?:[0-9]{15}|[.eE])")


def payload_hash_hex(payload: Any) -> str:
    """``record.sha256_hex(compressed(payload))`` (the hash a leaf covers), ~3x faster.

    ``json.dumps`` with sorted keys, compact separators and ASCII escapes is RFC 8785 for JSON whose
    text is ASCII without ``\\u`` escapes and whose numbers are integers below 2^53: keys then sort
    by code point (= UTF-16 units), strings escape exactly ``"``, ``\\`` and ``\\b \\t \\n \\f \\r``
    in both. Uncompressed points are then compressed in the text. Anything else (non-ASCII, control
    characters, DEL, large or fractional numbers) goes to the reference path, so both always agree
    (tests/voting/record/test_verify_fast_hash.py compares them on hostile payloads)."""
    try:
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                          allow_nan=False).encode("ascii")
    except (TypeError, ValueError):
        text = b"\\u"  # not JSON-shaped: the reference path says why
    if b"\\u" in text or _UNSURE_NUMBER.search(text) or not isinstance(payload, dict):
        return record.sha256_hex(dict(compressed(payload)))  # leaf_document's dict(): a payload is an object
    return hashlib.sha256(_ODD_Y_POINT.sub(rb'"03\1"', _EVEN_Y_POINT.sub(rb'"02\1"', text))).hexdigest()


# ---------------------------------------------------------------- receipts (BIP-340 batch)

def _x_only_point(x_hex: bytes) -> Point:
    x = int.from_bytes(x_hex, "big")
    if x >= P:
        raise ValueError("x is not below p")
    y = lift_x(x)
    return Point(x, y if y % 2 == 0 else P - y)


def receipt_terms(public_bytes: bytes, message: bytes, signature_hex: object) -> WeightedTerms:
    """BIP-340 verification as weighted terms over the bases ``(G, P)``: ``w·(s·G − e·P − R)`` with a
    fresh random ``WEIGHT_BITS``-bit ``w`` (BIP-340's batch verification); raises ``ValueError`` when malformed."""
    if not isinstance(signature_hex, str) or not re.fullmatch(r"[0-9a-f]{128}", signature_hex):
        raise ValueError("the signature is not 128 lowercase hex characters")
    sig = bytes.fromhex(signature_hex)
    r_point = _x_only_point(sig[:32])
    s = int.from_bytes(sig[32:], "big")
    if s >= N:
        raise ValueError("s is not below the group order")
    tag = hashlib.sha256(b"BIP0340/challenge").digest()
    e = int.from_bytes(hashlib.sha256(tag + tag + sig[:32] + public_bytes + message).digest(), "big") % N
    w = secrets.randbits(WEIGHT_BITS) | 1
    return WeightedTerms((w * s % N, -w * e % N), [N - w], [r_point])


# ---------------------------------------------------------------- one chunk

_CTX: PassContext | None = None
_BOARD: Sequence[Mapping[str, Any]] = ()


def _init(ctx: PassContext, board: Sequence[Mapping[str, Any]] = ()) -> None:
    """Set the context (and the board) of this process; forked workers receive both without pickling."""
    global _CTX, _BOARD
    _CTX, _BOARD = ctx, board


def _check_range(start: int, stop: int) -> PassResult:
    """:func:`check_chunk` on leaves ``start:stop`` of the board set by :func:`_init`."""
    return check_chunk(_BOARD[start:stop])


def _payload_ballot(kind: str, payload: Mapping[str, Any]) -> object:
    return payload.get("ballot") if kind == "audited" else payload


def check_chunk(entries: Sequence[Mapping[str, Any]]) -> PassResult:
    """Check ``entries`` (board entries as in the record) against the context set by :func:`_init`."""
    ctx = _CTX
    assert ctx is not None
    out = PassResult()
    key = ElectionKey(Point.from_bytes(ctx.election_key)) if ctx.election_key else None
    fingerprint = bytes.fromhex(ctx.fingerprint)
    try:
        receipt_public = _x_only_point(bytes.fromhex(ctx.receipt_key))
    except ValueError:
        receipt_public = None
    proofs: list[tuple[str, WeightedTerms]] = []
    receipts: list[tuple[str, WeightedTerms]] = []
    decoded: dict[str, EncryptedBallot] = {}
    columns: list[list[list[Ciphertext]]] | None = (
        [[[] for _ in spec.options] for spec in ctx.specs] if ctx.specs is not None else None)
    for entry in entries:
        i, kind, payload = entry["leaf_index"], entry["kind"], entry["payload"]
        ballot = None
        if ctx.secrecy == "secret":
            try:
                ballot = EncryptedBallot.from_json(_payload_ballot(kind, payload))
            except CryptoError as exc:
                out.ballots.append(f"ballot {i}: does not decode: {exc}")
                out.undecodable.add(i)
        try:
            leaf_hash = record.leaf_hash_hex(fingerprint=ctx.fingerprint, leaf_index=i, kind=kind,
                                             alias=entry["alias"], tracking_code=entry["tracking_code"],
                                             cast_at=entry["cast_at"], payload_hash=payload_hash_hex(payload))
            if leaf_hash != entry["leaf_hash"]:
                out.leaves.append(f"leaf {i}: the leaf hash does not match the entry (recomputed {leaf_hash[:16]}…)")
        except CryptoError as exc:
            out.leaves.append(f"leaf {i}: cannot be hashed: {exc}")
        out.receipts_checked += 1
        try:
            if receipt_public is None:
                raise ValueError("the receipt key is not an x-only secp256k1 key")
            message = record.receipt_message(
                election_id=ctx.election_id, fingerprint=ctx.fingerprint, leaf_index=i, kind=kind,
                tracking_code=entry["tracking_code"], cast_at=entry["cast_at"], leaf_hash=entry["leaf_hash"],
                server_public_key=ctx.receipt_key, head=entry.get("receipt_head"))
            receipts.append((str(i), receipt_terms(bytes.fromhex(ctx.receipt_key), message,
                                                   entry["receipt_signature"])))
        except (ValueError, CryptoError) as exc:
            out.receipts.append(f"leaf {i}: receipt signature is malformed: {exc}")
        if ballot is not None and key is not None and ctx.specs is not None:
            out.ballots_checked += 1
            if ballot.tracking_code() != entry["tracking_code"]:
                out.ballots.append(f"ballot {i}: the tracking code is not the ballot's")
            try:
                proofs.append((str(i), ballot_weighted_terms(ballot, ctx.specs, key, fingerprint)))
                decoded[str(i)] = ballot
                out.proofs_checked += sum(len(spec.options) + 1 for spec in ctx.specs)
            except CryptoError as exc:
                text = str(exc)
                prefix = f"ballot {ballot.ballot_ref}"
                text = text[len(prefix):].lstrip(": ") if text.startswith(prefix) else text
                out.ballots.append(f"ballot {i} {text}" if text.startswith("question") else f"ballot {i}: {text}")
                out.undecodable.add(i)
            if kind == "audited":
                out.audits_checked += 1
                try:
                    check_audited_ballot(ballot, payload.get("reveal"), key)
                except CryptoError as exc:
                    out.audits.append(f"audited ballot {i}: {exc}")
            elif i in ctx.counted and columns is not None and i not in out.undecodable:
                for q, answer in enumerate(ballot.answers):
                    for o, ct in enumerate(answer.tally_ciphertexts()):
                        if q < len(columns) and o < len(columns[q]):
                            columns[q][o].append(ct)
        elif ctx.secrecy == "open" and ctx.specs is not None:
            out.ballots_checked += 1
            _check_open_choices(ctx.specs, i, payload, out)
    if key is not None and receipt_public is not None and proofs and receipts and weighted_terms_hold(
            (G, key.point, receipt_public),
            [WeightedTerms((*t.base_coeffs, 0), t.scalars, t.points) for _, t in proofs]
            + [WeightedTerms((t.base_coeffs[0], 0, t.base_coeffs[1]), t.scalars, t.points) for _, t in receipts]):
        proofs, receipts = [], []  # the common case: every proof and every receipt of the chunk in one MSM
    if key is not None and proofs and not weighted_terms_hold((G, key.point), [t for _, t in proofs]):
        for label in find_bad_weighted((G, key.point), proofs, known_bad=True):
            groups = ballot_relation_groups(decoded[label], ctx.specs or (), key, fingerprint)
            bad = [name for name, rels in groups if not relations_hold(rels)] or ["a proof"]
            out.ballots.extend(f"ballot {label} {name}: proof does not verify" for name in bad)
    if receipt_public is not None and receipts and not weighted_terms_hold((G, receipt_public),
                                                                           [t for _, t in receipts]):
        out.receipts.extend(f"leaf {label}: receipt signature does not verify"
                            for label in find_bad_weighted((G, receipt_public), receipts, known_bad=True))
    if columns is not None and any(cts for row in columns for cts in row):
        out.sums = [[sum_ciphertexts(cts) if cts else None for cts in row] for row in columns]  # type: ignore[misc]
    return out


def _check_open_choices(specs: Sequence[QuestionSpec], i: int, payload: Mapping[str, Any], out: PassResult) -> None:
    choices = payload.get("choices")
    if not isinstance(choices, list) or len(choices) != len(specs):
        out.ballots.append(f"ballot {i}: choices must be one list per question ({len(specs)})")
        out.undecodable.add(i)
        return
    for q, (spec, values) in enumerate(zip(specs, choices, strict=True)):
        try:
            spec.check_choices(values if isinstance(values, list) else [], f"ballot {i} question {q}")
        except CryptoError as exc:
            out.ballots.append(str(exc))
            out.undecodable.add(i)


# ---------------------------------------------------------------- the whole board

def _merge(total: PassResult, part: PassResult) -> None:
    for name in ("leaves", "receipts", "ballots", "audits"):
        getattr(total, name).extend(getattr(part, name))
    total.undecodable |= part.undecodable
    for name in ("ballots_checked", "proofs_checked", "audits_checked", "receipts_checked"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    if part.sums is not None:
        if total.sums is None:
            total.sums = part.sums
        else:
            total.sums = [[a if b is None else b if a is None else a + b for a, b in zip(r1, r2, strict=True)]
                          for r1, r2 in zip(total.sums, part.sums, strict=True)]


def _ranges(size: int, chunk: int, workers: int) -> list[tuple[int, int]]:
    """Leaf ranges of ``chunk`` leaves, except the last ``workers`` chunks' worth in quarters: the
    workers then finish within a small chunk of each other instead of one idling for a whole chunk."""
    tail_start = max(0, size - workers * chunk) if workers > 1 else size
    small = max(1, chunk // 4)
    return ([(i, min(i + chunk, tail_start)) for i in range(0, tail_start, chunk)]
            + [(i, min(i + small, size)) for i in range(tail_start, size, small)])


class BoardPass:
    """The pass over the board, started at once on ``workers`` processes (default: all cores) in
    chunks of ``chunk`` leaves, so the caller can run other checks while it goes; :meth:`result`
    waits for it. One process (or one chunk): the chunks run in :meth:`result` instead.

    The workers are forked and read the board from the memory they inherit: only leaf ranges go to
    them and only results come back (pickling 10,000 ballots cost ~1.7 s of CPU)."""

    def __init__(self, ctx: PassContext, board: Sequence[Mapping[str, Any]], *, workers: int | None = None,
                 chunk: int = CHUNK) -> None:
        self.ctx, self.board = ctx, board
        workers = max(1, workers or os.cpu_count() or 1)
        self.ranges = _ranges(len(board), chunk, workers)
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[PassResult]] = []
        if workers > 1 and len(self.ranges) > 1:
            # fork: workers inherit the board, the arithmetic backend and the warm fixed-base tables.
            # gc.freeze: their garbage collector leaves the inherited objects (the whole parsed record)
            # alone instead of traversing them, and copying their pages, at every full collection.
            gc.freeze()
            try:
                self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                                 initializer=_init, initargs=(ctx, board))
                self._futures = [self._pool.submit(_check_range, start, stop) for start, stop in self.ranges]
            finally:
                gc.unfreeze()

    def result(self, progress: Callable[[int, int], None] | None = None) -> PassResult:
        """Merge the chunks' results in board order; ``progress(done, total)`` after each chunk."""
        if self._pool is None:
            _init(self.ctx, self.board)
            parts: Iterator[PassResult] = (_check_range(start, stop) for start, stop in self.ranges)
        else:
            parts = (future.result() for future in self._futures)
        total = PassResult()
        try:
            for (_, stop), part in zip(self.ranges, parts, strict=True):
                _merge(total, part)
                if progress:
                    progress(stop, len(self.board))
        finally:
            self.close()
        return total

    def close(self) -> None:
        """Stop the workers: chunks not started are dropped (idempotent)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def check_board(ctx: PassContext, board: Sequence[Mapping[str, Any]], *, workers: int | None = None,
                progress: Callable[[int, int], None] | None = None, chunk: int = CHUNK) -> PassResult:
    """Check every entry of ``board`` (see :class:`BoardPass`) and wait for the result."""
    return BoardPass(ctx, board, workers=workers, chunk=chunk).result(progress)
