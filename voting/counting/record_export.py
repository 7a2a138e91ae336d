"""Exporting an election's record (docs/record-spec.md) from the database.

:func:`election_record` gathers every part exactly as the site stores and publishes it (manifest,
roll, ceremony transcript, board entries as board.json, heads as heads.json, encrypted tally,
decryption shares, result, certificate, and the outcome rule the proposal was decided by) and hands
them to the pure :func:`voting.record.document.build_record`. A fixed number of queries whatever
the size: the board is read in one ordered query, streamed in batches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.constitution.rules import KINDS
from governance.constitution.services import get_version
from governance.sitecontext import as_utc
from proposals.models import Proposal
from proposals.outcome import alternatives_of, rules_at_opening
from voting.committees.models import CeremonyMessage, MessageKind, TrusteeCommittee
from voting.counting import services as counting
from voting.elections import board
from voting.elections import services as elections
from voting.elections.models import BoardEntry, Election, ElectionState, RollEntry, Secrecy
from voting.record import canonical as record
from voting.record import document as er
from voting.record import tally

BATCH = 500


def _committee(session: Session, election: Election) -> dict[str, Any] | None:
    """The ceremony transcript of the election's committee (what the trustee API publishes)."""
    if election.secrecy != Secrecy.SECRET or election.committee_id is None:
        return None
    committee = session.get(TrusteeCommittee, election.committee_id)
    if committee is None:
        return None
    seats = sorted(committee.trustees, key=lambda t: t.trustee_index)
    messages = list(session.execute(
        select(CeremonyMessage).where(CeremonyMessage.committee_id == committee.id)
        .order_by(CeremonyMessage.kind, CeremonyMessage.from_index, CeremonyMessage.to_index)).scalars())
    shares = [m for m in messages if MessageKind(m.kind) == MessageKind.ENCRYPTED_SHARE]
    complaints = [m for m in messages if MessageKind(m.kind) == MessageKind.COMPLAINT]
    return {
        "ceremony": {"fingerprint": committee.fingerprint, "n": committee.n, "k": committee.k},
        "announcements": [t.announcement for t in seats if t.announcement is not None],
        "bls": [{"index": t.trustee_index, "bls_public_key": t.bls_public_key, "bls_pop": t.bls_pop}
                for t in seats if t.bls_public_key is not None],
        "commitments": [t.commitment for t in seats if t.commitment is not None],
        "encrypted_shares": [m.payload for m in shares],
        "complaints": [{"complaint": m.payload, "dealer_at_fault": bool(m.dealer_at_fault), "verdict": m.verdict or ""}
                       for m in complaints],
        "disqualified": {str(t.trustee_index): t.disqualified_reason for t in seats if t.disqualified_reason},
        "joint_key": committee.joint_key,
    }


def _board(session: Session, election: Election) -> tuple[list[dict[str, Any]], datetime | None]:
    """Every entry as board.json publishes it, in leaf order (one query, streamed), and the last cast_at."""
    stmt = (select(BoardEntry, RollEntry.alias).join(RollEntry, RollEntry.id == BoardEntry.roll_entry_id)
            .where(BoardEntry.election_id == election.id).order_by(BoardEntry.leaf_index)
            .execution_options(yield_per=BATCH))
    entries, last = [], None
    for entry, alias in session.execute(stmt):
        entries.append(board.entry_json(election, entry, alias))
        last = entry.cast_at
    return entries, last


def _outcome(session: Session, election: Election, proposal: Proposal) -> dict[str, Any] | None:
    """The rule the proposal's outcome was decided by (the constitution version in force when voting
    opened, as ``proposals.outcome.record_outcome`` applies it) and the numbers it was applied to."""
    stored = proposal.outcome
    if election.state != ElectionState.DECIDED or election.result is None or not stored \
            or stored.get("election_id") != election.id:
        return None
    if election.manifest.get("rule") is not None:  # v2: the rule fixed when voting opened, nothing else
        rule = dict(election.manifest["rule"])
        inputs = {key: stored[key] for key in ("electorate_size", "turnout", "yes", "no", "abstain")}
        inputs["scores"] = list(stored.get("scores") or [])
        return {"rule": rule, "inputs": inputs, "state": stored["state"],
                "chosen_alternative": stored.get("chosen_alternative"),
                "record_hash": tally.result_hash(election.result)}
    rules = rules_at_opening(session, proposal)
    version = get_version(session, proposal.constitution_version) if proposal.constitution_version else None
    rule = {"kind": proposal.kind, "constitution_version": proposal.constitution_version,
            "constitution_snapshot_hash": version.snapshot_hash if version is not None else None,
            "quorum_percent": rules.quorum_percent, "threshold_numerator": rules.threshold.numerator,
            "threshold_denominator": rules.threshold.denominator, "alternatives": alternatives_of(proposal),
            "method": election.method}
    inputs = {key: stored[key] for key in ("electorate_size", "turnout", "yes", "no", "abstain")}
    inputs["scores"] = list(stored.get("scores") or [])
    return {"rule": rule, "inputs": inputs, "state": stored["state"],
            "chosen_alternative": stored.get("chosen_alternative"), "record_hash": tally.result_hash(election.result)}


def _constitution(session: Session, election: Election) -> dict[str, Any] | None:
    """The constitution version a v2 manifest's rule comes from, with its snapshot (every kind's
    rules, in kind order, as its ``snapshot_hash`` hashes them); None when the rule named none."""
    number = (election.manifest.get("rule") or {}).get("constitution_version")
    if number is None:
        return None
    version = get_version(session, number)
    stored = version.stored_snapshot()
    return {"version": number, "snapshot": [stored[kind].to_json() for kind in KINDS if kind in stored]}


def _latest(*moments: datetime | None) -> datetime:
    return max(as_utc(m) for m in moments if m is not None)


def election_record(session: Session, election: Election, *, uncompressed_points: bool = True) -> dict[str, Any]:
    """The record of ``election`` as it stands (docs/record-spec.md). Deterministic: exporting the same
    state twice gives the same bytes (``exported_at`` is the time of the latest event it reflects)."""
    proposal = session.get(Proposal, election.proposal_id)
    assert proposal is not None  # a foreign key
    entries, last_cast = _board(session, election)
    heads = board.tree_heads(session, election)
    shares = counting.share_records(session, election)
    exported_at = _latest(election.created_at, last_cast, *(h.created_at for h in heads), election.tally_posted_at,
                          *(s.submitted_at for s in shares), election.decided_at)
    return er.build_record(
        election_id=election.id, manifest=election.manifest, state=ElectionState(election.state).value,
        exported_at=record.iso_seconds(exported_at), roll=elections.roll_aliases(session, election),
        committee=_committee(session, election), board=entries,
        tree_heads=[board.head_json(election, head) for head in heads], tally=election.encrypted_tally,
        decryptions=[{"trustee_index": s.trustee_index, "shares": s.shares, "result_signature": s.result_signature}
                     for s in shares],
        result=election.result, certificate=election.result_certificate,
        outcome=_outcome(session, election, proposal), constitution=_constitution(session, election),
        uncompressed_points=uncompressed_points)


def record_file_bytes(session: Session, election: Election, *, zipped: bool = False) -> bytes:
    """record.json's bytes (canonical), or record.zip's."""
    data = er.record_bytes(election_record(session, election))
    return er.zip_bytes(data) if zipped else data
