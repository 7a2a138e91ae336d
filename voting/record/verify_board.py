"""The board checks of ``dataguild-verify`` (docs/record-spec.md): ``board.leaves``,
``board.receipts``, ``board.heads`` and ``board.supersession``, and the one pass over the board
(:class:`voting.record.verify_ballots.BoardPass`) that the ballot, audit and tally checks share.

The pass is started on the worker processes before the committee check (:func:`start_board`);
while it runs, the main process checks the committee and :func:`warm_up` verifies the tree heads'
and the certificate's BLS signatures, whose answers the checks then read from their caches. The
checks still run, and print, in the specification's order.

PURE: stdlib and the pure ``voting`` modules only (no Flask, SQLAlchemy, click or governance).
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import os
import re
from typing import Any

from voting.crypto import bls, bls_batch
from voting.crypto.merkle import NO_PREVIOUS, MerkleLog, SignedTreeHead, node_hash, verify_consistency
from voting.record import canonical as record
from voting.record import document as er
from voting.record import tally
from voting.record.verify_ballots import BoardPass, PassContext, PassResult
from voting.record.verify_checks import MALFORMED, PASS, Problems, Verification, _raise, certificate_valid


def _heads_verify(public_hex: str, items: list[tuple[bytes, str]], workers: int | None) -> list[str | None]:
    """Every tree head's BLS signature (all by the board key), batch-verified on all cores
    (``voting.crypto.bls_batch``: one pairing pair for the batch, one by one only to name a bad
    one): per item, None or why it fails. Remembered per process: a re-run in the same process (the
    tests) does not pay twice; the answer depends on nothing but the inputs."""
    todo = list(dict.fromkeys(item for item in items if (public_hex, *item) not in _BLS_DONE))
    if todo:
        errors = bls_batch.verify_many(bls.BlsPublicKey.from_hex(public_hex), [m for m, _ in todo],
                                       [bytes.fromhex(signature_hex) for _, signature_hex in todo],
                                       workers=max(1, workers or os.cpu_count() or 1))
        _BLS_DONE.update(((public_hex, *item), error) for item, error in zip(todo, errors, strict=True))
    return [_BLS_DONE[(public_hex, *item)] for item in items]


_BLS_DONE: dict[tuple[str, bytes, str], str | None] = {}
_UNPARSED_SIGNATURE = "c0" + "00" * 95  # the identity's encoding: decodes without arithmetic
_SIGNATURE_HEX = re.compile(f"[0-9a-f]{{{2 * bls.SIGNATURE_SIZE}}}")


# ---------------------------------------------------------------- the board

def start_board(v: Verification) -> None:
    """Start the pass over the board on the worker processes (:class:`BoardPass`), so that the
    checks before ``board.leaves`` and :func:`warm_up` run while it goes; :func:`_pass` collects it."""
    if v.board_run is None and v.board_pass is None:
        specs, key = None, None
        if v.results.get("manifest") and v.results["manifest"].status == PASS:
            specs = tuple(v.specs)
            key = bytes.fromhex(v.manifest["election_key"]) if v.secret else None
        v.counted = tally.counted_leaves(er.board_leaves(v.rec))
        ctx = PassContext(election_id=v.rec["election_id"], fingerprint=v.rec["fingerprint"],
                          secrecy=v.manifest.get("secrecy", ""), receipt_key=v.rec["keys"]["receipt_public_key"],
                          specs=specs, election_key=key, counted=frozenset(x.leaf_index for x in v.counted))
        v.board_run = BoardPass(ctx, v.rec["board"], workers=v.workers)


def _pass(v: Verification) -> PassResult:
    if v.board_pass is None:
        start_board(v)
        assert v.board_run is not None
        v.board_pass = v.board_run.result(v.progress)
    return v.board_pass


def check_leaves(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("format")
    board, problems = v.rec["board"], []
    roll = set(v.rec["roll"])
    window = v.manifest["window"]
    opens, closes = record.parse_iso_seconds(window["opens_at"]), record.parse_iso_seconds(window["closes_at"])
    for i, entry in enumerate(board):
        where = f"leaf {entry['leaf_index']}"
        if entry["leaf_index"] != i:
            problems.append(f"entry {i} has leaf index {entry['leaf_index']} (leaves must run 0..{len(board) - 1})")
        if entry["kind"] not in record.ENTRY_KINDS:
            problems.append(f"{where}: unknown kind {entry['kind']!r}")
        if entry["alias"] not in roll:
            problems.append(f"{where}: alias {entry['alias']} is not on the roll")
        cast_at = record.parse_iso_seconds(entry["cast_at"], f"{where} cast_at")
        if cast_at >= closes:
            problems.append(f"{where}: cast at {entry['cast_at']}, after close ({window['closes_at']})")
        elif cast_at < opens:
            problems.append(f"{where}: cast at {entry['cast_at']}, before the election opened")
        if i and entry["cast_at"] < board[i - 1]["cast_at"]:
            problems.append(f"{where}: cast before the leaf before it")
    problems.extend(_pass(v).leaves)
    _raise(problems)
    casts = sum(1 for e in board if e["kind"] == "cast")
    return (f"{len(board)} leaves ({casts} cast, {len(board) - casts} audited), hashes recomputed",
            {"leaves": len(board), "cast": casts, "audited": len(board) - casts})


def check_receipts(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("keys")
    result = _pass(v)
    _raise(result.receipts)
    return (f"{result.receipts_checked} receipt signatures verify (BIP-340, batch)",
            {"receipts": result.receipts_checked})


def _roots(leaf_hashes: list[bytes], sizes: set[int]) -> dict[int, bytes]:
    """RFC 9162 roots of the first ``size`` leaves for every size asked, in one pass."""
    roots: dict[int, bytes] = {}
    if 0 in sizes:
        roots[0] = hashlib.sha256(b"").digest()
    stack: list[tuple[int, bytes]] = []  # (number of leaves, hash) of perfect subtrees
    for n, digest in enumerate(leaf_hashes, start=1):
        stack.append((1, digest))
        while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
            (size_a, a), (_, b) = stack[-2], stack[-1]
            stack[-2:] = [(2 * size_a, node_hash(a, b))]
        if n in sizes:
            root = stack[-1][1]
            for _, left in reversed(stack[:-1]):
                root = node_hash(left, root)
            roots[n] = root
    return roots


def _head_fields(data: dict[str, Any]) -> SignedTreeHead:
    """A head's fields, parsed (``previous`` only where the record has it: v2); its signature is
    decoded and validated once, by the batch."""
    keys = ("fingerprint", "size", "root", "timestamp", "previous") if "previous" in data else \
        ("fingerprint", "size", "root", "timestamp")
    return SignedTreeHead.from_json({**{k: data[k] for k in keys}, "signature": _UNPARSED_SIGNATURE})


def _signed_item(head: SignedTreeHead, data: dict[str, Any]) -> tuple[bytes, str] | None:
    """(signed message, signature hex) for the batch, or None if the signature is not hex of the size."""
    if not isinstance(data["signature"], str) or not _SIGNATURE_HEX.fullmatch(data["signature"]):
        return None
    return head.message(), data["signature"]


def head_hashes(heads: list[dict[str, Any]]) -> list[str | None]:
    """Each head's hash (hex; ``SignedTreeHead.head_hash``), None where the head cannot be parsed."""
    out: list[str | None] = []
    for data in heads:
        try:
            out.append(_head_fields(data).head_hash().hex())
        except MALFORMED:
            out.append(None)
    return out


def receipt_heads_allowed(sizes: list[int], hashes: list[str | None], leaf_index: int) -> set[str]:
    """The head hashes a receipt for leaf ``leaf_index`` may name: the latest head signed before the
    ballot (the last of size <= leaf_index) or the head its cast signed (size leaf_index + 1). ``sizes``
    grow (``check_heads`` reports it otherwise; then the answer may be too strict, never too lenient)."""
    before = bisect.bisect_right(sizes, leaf_index) - 1
    after = before + 1
    allowed = {hashes[before]} if before >= 0 else set()
    if after < len(sizes) and sizes[after] == leaf_index + 1:
        allowed.add(hashes[after])
    return {h for h in allowed if h is not None}


def _chain_problems(heads: list[dict[str, Any]], board: list[dict[str, Any]]) -> list[str]:
    """v2: the heads form one chain from the creation head (size 0, previous all zeros), each naming
    the hash of the one before, and each receipt names the latest head at its cast."""
    problems: list[str] = []
    hashes = head_hashes(heads)
    for n, data in enumerate(heads):
        where = f"head {n} (size {data['size']})"
        if n == 0:
            if data["size"] != 0 or data["previous"] != NO_PREVIOUS.hex():
                problems.append(f"{where}: the chain does not start at the creation head (size 0, previous all "
                                "zeros): heads were removed from its start")
        elif hashes[n - 1] is not None and data["previous"] != hashes[n - 1]:
            problems.append(f"{where}: previous is not the hash of head {n - 1}: a head was removed, inserted "
                            "or reordered here (the chain is broken)")
    sizes = [h["size"] for h in heads]
    known = {h for h in hashes if h is not None}
    for entry in board:
        i, named = entry["leaf_index"], entry["receipt_head"]
        if not isinstance(i, int):
            continue
        if named not in known:
            problems.append(f"leaf {i}: its receipt names a tree head that is not in the chain ({str(named)[:16]}…): "
                            "the voter was shown a head the record omits")
        elif named not in receipt_heads_allowed(sizes, hashes, i):
            problems.append(f"leaf {i}: its receipt names a head other than the latest one when it was cast")
    return problems


def warm_up(v: Verification) -> None:
    """While the board pass runs on the workers: verify the tree heads' and the certificate's BLS
    signatures in this process (one batch, and one aggregate), leaving the answers in the caches
    ``check_heads`` and ``check_certificate`` read. Anything malformed is left for those checks to
    report: a failure here only means they do the work themselves."""
    with contextlib.suppress(*MALFORMED):
        public_hex = bls.BlsPublicKey.from_hex(v.rec["keys"]["board_public_key"]).to_hex()
        items = [item for item in (_signed_item(_head_fields(h), h) for h in v.rec["tree_heads"]) if item]
        _heads_verify(public_hex, items, workers=1)
    cert, res = v.rec.get("certificate"), v.rec.get("result")
    if isinstance(cert, dict) and isinstance(res, dict):
        with contextlib.suppress(*MALFORMED):
            certificate_valid(er.record_bytes(v.manifest), er.record_bytes(res), er.record_bytes(cert))


def check_heads(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("keys")
    heads, board, problems = v.rec["tree_heads"], v.rec["board"], []
    public = bls.BlsPublicKey.from_hex(v.rec["keys"]["board_public_key"])
    if not heads:
        raise Problems(["no signed tree head"])
    hashes = []
    for entry in board:
        try:
            hashes.append(bytes.fromhex(entry["leaf_hash"]))
        except ValueError:
            hashes.append(b"")
    roots = _roots(hashes, {h["size"] for h in heads if isinstance(h["size"], int)})
    previous = None
    signed: list[tuple[str, tuple[bytes, str]]] = []
    for n, data in enumerate(heads):
        head = _head_fields(data)
        where = f"head {n} (size {head.size})"
        if data["fingerprint"] != v.rec["fingerprint"]:
            problems.append(f"{where}: for another election")
        if data["signing_key"] != v.rec["keys"]["board_public_key"]:
            problems.append(f"{where}: signed with a key other than the board key")
        if head.size > len(board):
            problems.append(f"{where}: covers more leaves than the board has ({len(board)})")
        elif roots.get(head.size) != head.root:
            problems.append(f"{where}: root is not the Merkle root of the first {head.size} leaves "
                            "(inconsistent with the board and every earlier head)")
        if previous is not None and head.size <= previous.size:
            problems.append(f"{where}: size does not grow after head {n - 1} (size {previous.size}): "
                            "inconsistent with an earlier head")
        if previous is not None and head.timestamp < previous.timestamp:
            problems.append(f"{where}: timestamp goes backwards: inconsistent with an earlier head")
        item = _signed_item(head, data)
        if item is not None:
            signed.append((where, item))
        else:
            problems.append(f"{where}: the signature is not {bls.SIGNATURE_SIZE} bytes of lowercase hex")
        previous = head
    if er.record_version(v.rec) == 2:
        problems.extend(_chain_problems(heads, board))
    public_hex = public.to_hex()
    for (where, _), error in zip(signed, _heads_verify(public_hex, [item for _, item in signed], v.workers),
                                 strict=True):
        if error == bls_batch.NOT_VERIFIED:
            problems.append(f"{where}: signature does not verify with the board key")
        elif error is not None:
            problems.append(f"{where}: signature does not verify with the board key: {error}")
    if v.rec["state"] != "open" and heads[-1]["size"] != len(board):
        problems.append(f"the last head covers {heads[-1]['size']} leaves, the closed board has {len(board)}")
    _raise(problems)
    sizes = [h["size"] for h in heads]
    chained = ", chained from the creation head, every receipt names the latest head at its cast" \
        if er.record_version(v.rec) == 2 else " (version 1: not chained)"
    return (f"{len(heads)} heads, sizes {sizes[0]}..{sizes[-1]}, signatures verify (BLS, batch){chained}",
            {"heads": len(heads)})


def receipt_head_problems(rec: dict[str, Any], head: str | None, where: str) -> tuple[list[str], str]:
    """For ``dataguild-verify --receipt`` on a v2 record: is the head a receipt names (``head``, its
    hash) in the record's chain, and does the final head extend it (RFC 9162 consistency proof, built
    from the record's leaves and verified against both roots)? (problems, what passed)."""
    if er.record_version(rec) == 1:
        return [], "a version-1 record: receipts name no head"
    if head is None:
        return [f"{where}: a version-1 receipt (it names no tree head) for a version-2 election, whose server "
                "signs the latest head into every receipt: this receipt was not issued as the record says"], ""
    heads = rec["tree_heads"]
    hashes = head_hashes(heads)
    if head not in hashes:
        return [f"{where}: the tree head this receipt names ({head[:16]}…) is not in the record's chain of heads: "
                "the server showed you a board that the record does not contain (a fork, or an omitted head). "
                "Keep the receipt: its signature is the server's own evidence"], ""
    shown, final = heads[hashes.index(head)], heads[-1]
    log = MerkleLog()
    for entry in rec["board"][:final["size"]]:
        log.append_hash(bytes.fromhex(entry["leaf_hash"]))
    try:
        verify_consistency(shown["size"], final["size"], bytes.fromhex(shown["root"]), bytes.fromhex(final["root"]),
                           log.consistency_proof(shown["size"], final["size"]))
    except MALFORMED as exc:
        return [f"{where}: the final head does not extend the head this receipt names: {exc}"], ""
    return [], (f"its head (size {shown['size']}) is in the chain and the final head (size {final['size']}) is "
                "consistent with it (RFC 9162)")


def check_supersession(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("format")
    board, problems = v.rec["board"], []
    next_cast: dict[int, int] = {}
    last: dict[str, int] = {}
    for entry in board:
        if entry["kind"] == "cast":
            if entry["alias"] in last:
                next_cast[last[entry["alias"]]] = entry["leaf_index"]
            last[entry["alias"]] = entry["leaf_index"]
    superseded = 0
    by_index = {e["leaf_index"]: e for e in board}
    for entry in board:
        i, expected = entry["leaf_index"], next_cast.get(entry["leaf_index"])
        if entry["kind"] == "audited" and (entry["superseded_by"] is not None or entry["superseded_at"] is not None):
            problems.append(f"leaf {i}: an audited ballot is never superseded")
        elif entry["superseded_by"] != expected:
            problems.append(f"leaf {i}: superseded_by is {entry['superseded_by']}, the next cast of the same alias "
                            f"is {expected}")
        elif expected is not None:
            superseded += 1
            if entry["superseded_at"] != by_index[expected]["cast_at"]:
                problems.append(f"leaf {i}: superseded_at is not the time leaf {expected} was cast")
        elif entry["superseded_at"] is not None:
            problems.append(f"leaf {i}: superseded_at set on a ballot nobody superseded")
    _raise(problems)
    return f"{superseded} superseded, {len(last)} voters' last ballots count", {"superseded": superseded,
                                                                               "voters": len(last)}
