"""``dataguild-verify --audited FILE``: check an audited ballot (cast-or-audit) with a tool that is not
the site's page (docs/record-spec.md §7, "An audited ballot").

FILE is what the ballot page and ``dataguild vote --audit`` save, or the site's
``/elections/<id>/audited/<tracking code>.json``: ``{"manifest", "ballot", "reveal", "receipt"}``. The
check passes when the manifest hashes to the fingerprint the ballot names, every proof of the ballot
verifies for the manifest's questions and election key, the reveal reopens every ciphertext (so the
encryption said exactly the revealed choices: the device did not cheat), and the receipt, if present,
is the election's signature on this ballot as audited. With a RECORD it must also be on the record's
board as an audited leaf with the same reveal.

PURE: the standard library and the pure ``voting`` modules only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voting.crypto.ballot import EncryptedBallot, check_audited_ballot, verify_ballot
from voting.crypto.elgamal import ElectionKey
from voting.crypto.group import Point
from voting.record import canonical as record
from voting.record.tally import specs_of
from voting.record.verify_checks import FAIL, MALFORMED, PASS, CheckResult

AUDITED_CHECK = "audited"
AUDITED_KEYS = {"manifest", "ballot", "reveal", "receipt"}


def check_audited(data: object, rec: Mapping[str, Any] | None = None) -> CheckResult:
    """The ``audited`` check of FILE's parsed JSON (and, with ``rec``, its place on the record's board)."""
    problems: list[str] = []
    try:
        if not isinstance(data, dict) or not {"manifest", "ballot", "reveal"} <= set(data) or set(data) - AUDITED_KEYS:
            raise ValueError("an audited ballot file is an object with manifest, ballot, reveal (and receipt)")
        manifest = data["manifest"]
        fingerprint = record.manifest_fingerprint(manifest)
        ballot = EncryptedBallot.from_json(data["ballot"])
        if ballot.election.hex() != fingerprint:
            problems.append("the ballot names another election than the manifest's")
        key = ElectionKey(Point.from_hex(manifest["election_key"]))
        verify_ballot(ballot, list(specs_of(manifest)), key, ballot.election)
        choices = check_audited_ballot(ballot, data["reveal"], key)
        if data.get("receipt") is not None:
            receipt = record.Receipt.from_json(data["receipt"])
            record.verify_receipt(receipt, manifest["receipt_public_key"])
            if (receipt.tracking_code, receipt.kind, receipt.fingerprint) != (ballot.tracking_code(), "audited",
                                                                                fingerprint):
                problems.append("the receipt is not this election's receipt for this ballot as audited")
        if rec is not None:
            problems.extend(_on_board(rec, ballot, data["reveal"], fingerprint))
    except MALFORMED as exc:
        return CheckResult(AUDITED_CHECK, FAIL, f"the audited ballot does not hold: {exc}",
                           [f"the audited ballot does not hold: {exc}"])
    if problems:
        return CheckResult(AUDITED_CHECK, FAIL, problems[0], problems)
    said = "; ".join(f"question {q + 1}: " + ", ".join(f"{name} {value}" for name, value in
                                                        zip(spec.options, values, strict=True))
                     for q, (spec, values) in enumerate(zip(specs_of(manifest), choices, strict=True)))
    return CheckResult(AUDITED_CHECK, PASS, f"ballot {ballot.tracking_code()[:16]}… proofs verify and it opens to "
                                            f"exactly: {said}", counts={"questions": len(choices)})


def _on_board(rec: Mapping[str, Any], ballot: EncryptedBallot, reveal: object, fingerprint: str) -> list[str]:
    if rec["fingerprint"] != fingerprint:
        return ["the audited ballot is for another election than the record's"]
    entry = next((e for e in rec["board"] if e["tracking_code"] == ballot.tracking_code()), None)
    if entry is None:
        return ["the audited ballot is not on the record's board"]
    if entry["kind"] != "audited" or entry["payload"].get("reveal") != reveal:
        return [f"leaf {entry['leaf_index']} has this tracking code but is not this ballot audited with this reveal"]
    return []
