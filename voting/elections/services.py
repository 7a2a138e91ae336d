"""Creating an election when voting opens on a proposal, and reading it back.

``create_election`` runs in the same transaction as ``proposals.lifecycle.open_voting``: it freezes
the roll (every member eligible at ``proposal.voting_opened_at``, each with a random alias), builds
the manifest (``voting.record.canonical.manifest_document``), stores its fingerprint and signs the empty
board's first tree head. What a ballot asks is decided by :func:`questions_for` (see
docs/elections.md, "Questions", for how totals map to ``proposals.outcome.VoteResult``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit.actions import describe_actions
from governance.audit.services import record_event
from governance.constitution.rules import KindRules
from governance.constitution.services import get_version
from governance.members.models import Member
from governance.members.services import eligible_voter_ids_at
from governance.signing import site_keys
from governance.sitecontext import as_utc
from proposals.access import is_steward
from proposals.models import Proposal, ProposalState
from proposals.outcome import alternatives_of, rules_at_opening
from voting import ElectionError, NotPermitted
from voting.crypto.ballot import MAX_BUDGET, ChoiceQuestion, QuadraticQuestion, QuestionSpec, question_from_json
from voting.crypto.elgamal import ElectionKey
from voting.crypto.errors import CryptoError
from voting.crypto.group import Point
from voting.elections import board
from voting.elections.models import Election, ElectionState, RollEntry, Secrecy
from voting.record import canonical as record

ONE_MEMBER_ONE_VOTE = "one_member_one_vote"
QUADRATIC = "quadratic"
METHODS = (ONE_MEMBER_ONE_VOTE, QUADRATIC)
SINGLE_DECISION_OPTIONS = ("for", "against")  # a quadratic ballot on one decision
DEFAULT_COOPERATIVE_NAME = "dataguild cooperative"
ALIAS_PREFIX = "voter-"
_ALIAS_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # RFC 4648 base32, lower case

describe_actions({
    "election.created": "Election created for a proposal (roll frozen, manifest fixed)",
})


# ---------------------------------------------------------------- what the ballot asks

def _distinct_labels(alternatives: Sequence[str]) -> tuple[str, ...]:
    labels = tuple(str(a).strip() for a in alternatives)
    if all(labels) and len(set(labels)) == len(labels):
        return labels
    # Two alternatives with the same (or no) label: number them all so that options stay distinct.
    return tuple(f"{i + 1}. {label or 'Alternative'}" for i, label in enumerate(labels))


def questions_for(proposal_kind: str, method: str, alternatives: Sequence[str],
                  quadratic_budget: int) -> list[QuestionSpec]:
    """The question(s) of a ballot.

    - one member, one vote: yes/no/abstain on a single decision (``alternatives`` has fewer than 2
      entries); exactly one of the alternatives otherwise;
    - quadratic (budget ``quadratic_budget``) on a single decision: two options, ``"for"`` and
      ``"against"``, non-negative votes on each, so the tally gives the votes for and the votes against
      separately and a supermajority threshold applies to them (a single net score could only say
      "more for than against"). Elections opened before this kept one option ``"for"`` with negative
      votes; ``voting.counting.results`` still reads them;
    - quadratic between alternatives: one option per alternative, negative votes allowed (a member may
      spend credits against an alternative).
    """
    del proposal_kind  # the kind matters only through its alternatives (payout policies)
    many = len(alternatives) >= 2
    if method == ONE_MEMBER_ONE_VOTE:
        if not many:
            return [ChoiceQuestion.yes_no_abstain()]
        return [ChoiceQuestion(_distinct_labels(alternatives), 1, 1)]
    if method == QUADRATIC:
        if not isinstance(quadratic_budget, int) or not 1 <= quadratic_budget <= MAX_BUDGET:
            raise ElectionError(f"A quadratic ballot needs a budget of 1 to {MAX_BUDGET} voice credits; the "
                                f"constitution gives {quadratic_budget}.")
        if not many:
            return [QuadraticQuestion(SINGLE_DECISION_OPTIONS, quadratic_budget, allow_negative=False)]
        return [QuadraticQuestion(_distinct_labels(alternatives), quadratic_budget, allow_negative=True)]
    raise ElectionError(f"Unknown voting method {method!r}.")


def alternative_labels(proposal: Proposal, version_number: int) -> list[str]:
    version = proposal.version(version_number)
    if proposal.kind != "payout_policy" or version is None:
        return []
    return [str(a.get("label", "")) for a in version.body.get("alternatives", []) if isinstance(a, dict)]


# ---------------------------------------------------------------- the roll

def new_alias() -> str:
    """``voter-`` and 8 random base32 characters (40 bits): nothing in it comes from the member."""
    return ALIAS_PREFIX + "".join(secrets.choice(_ALIAS_ALPHABET) for _ in range(8))


def _unique_aliases(count: int) -> list[str]:
    aliases: list[str] = []
    seen: set[str] = set()
    while len(aliases) < count:
        alias = new_alias()
        if alias not in seen:
            seen.add(alias)
            aliases.append(alias)
    return aliases


# ---------------------------------------------------------------- creating

def _check_key(secrecy: Secrecy, election_key_hex: str | None, committee_id: int | None) -> str | None:
    if secrecy == Secrecy.OPEN:
        if election_key_hex is not None or committee_id is not None:
            raise ElectionError("An open (roll-call) election has no election key and no trustee committee.")
        return None
    if not election_key_hex:
        raise ElectionError("A secret election needs the election key of a trustee committee.",
                            {"committee": "Choose a trustee committee whose key is ready."})
    try:
        return Point.from_hex(election_key_hex).hex()
    except (CryptoError, ValueError) as exc:
        raise ElectionError(f"The election key is not a valid secp256k1 point: {exc}") from exc


def _decision_rule(session: Session, proposal: Proposal, method: str, rules: KindRules) -> dict[str, Any]:
    """The rule that will decide the vote, from the constitution version in force when voting opened
    (``proposals.outcome.rules_at_opening``): fixed in the manifest, so it cannot change after the totals."""
    version = get_version(session, proposal.constitution_version) if proposal.constitution_version else None
    return record.decision_rule(
        kind=proposal.kind, method=method, quorum_percent=rules.quorum_percent,
        threshold_numerator=rules.threshold.numerator, threshold_denominator=rules.threshold.denominator,
        alternatives=alternatives_of(proposal), constitution_version=proposal.constitution_version,
        constitution_snapshot_hash=version.snapshot_hash if version is not None else None)


#: The code a member's browser runs to encrypt a secret ballot (under the site's static/): the manifest of a
#: secret election fixes each file's SHA-256, so observers can check which code voters were served.
CLIENT_SCRIPTS = ("js/ballot/page.js", "js/ballot/encrypt.js", "js/trustee/core.js", "js/trustee/ballots.js",
                  "vendor/noble/noble.js")
STATIC_DIR = Path(__file__).resolve().parents[2] / "static"


def client_script_hashes() -> dict[str, str]:
    """``{path under static/: SHA-256 hex}`` of :data:`CLIENT_SCRIPTS` as this installation serves them."""
    return {name: hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() for name in CLIENT_SCRIPTS}


def create_election(session: Session, proposal: Proposal, *, actor: Member | None, now: datetime,
                    secrecy: Secrecy, election_key_hex: str | None, committee_id: int | None,
                    committee_summary: dict[str, Any] | None = None,
                    cooperative_name: str = DEFAULT_COOPERATIVE_NAME) -> Election:
    """The election of ``proposal``, whose voting has just opened (call it after ``open_voting`` in
    the same transaction). ``actor`` None is the system (demo, CLI); otherwise a steward. Raises
    ``ElectionError``/``NotPermitted`` before writing anything."""
    secrecy = Secrecy(secrecy)
    if actor is not None and not is_steward(actor):
        raise NotPermitted("Only stewards open elections.")
    if proposal.state != ProposalState.VOTING or proposal.voting_opened_at is None or proposal.frozen_version is None:
        raise ElectionError("An election is created when voting opens on the proposal; this one is not in voting.")
    if election_of(session, proposal.id) is not None:
        raise ElectionError("This proposal already has an election.")
    key_hex = _check_key(secrecy, election_key_hex, committee_id)
    opens_at = as_utc(proposal.voting_opened_at).replace(microsecond=0)
    closes_at = as_utc(proposal.voting_closes_at).replace(microsecond=0)
    if closes_at <= opens_at:
        raise ElectionError("The voting window must last at least one second.")
    method = proposal.voting_method or ONE_MEMBER_ONE_VOTE
    rules = rules_at_opening(session, proposal)
    questions = questions_for(proposal.kind, method, alternative_labels(proposal, proposal.frozen_version),
                              rules.quadratic_budget)
    frozen = proposal.version(proposal.frozen_version)
    assert frozen is not None

    member_ids = eligible_voter_ids_at(session, opens_at)
    aliases = _unique_aliases(len(member_ids))
    keys = site_keys(session)
    placeholder = secrets.token_hex(32)  # the manifest names the election id, known after the insert
    election = Election(proposal_id=proposal.id, secrecy=secrecy, method=method, committee_id=committee_id,
                        manifest={}, fingerprint=placeholder, opens_at=opens_at, closes_at=closes_at,
                        roll_size=len(member_ids), roll_hash=record.roll_hash(aliases), state=ElectionState.OPEN,
                        created_at=now)
    session.add(election)
    session.flush()
    session.add_all(RollEntry(election_id=election.id, member_id=mid, alias=alias, ballots_cast=0)
                    for mid, alias in zip(member_ids, aliases, strict=True))
    election.manifest = record.manifest_document(
        election_id=election.id, cooperative=cooperative_name,
        proposal={"id": proposal.id, "kind": proposal.kind, "title": frozen.title, "version": frozen.number,
                  "content_hash": frozen.content_hash},
        method=method, secrecy=secrecy.value, questions=[q.to_json() for q in questions], opens_at=opens_at,
        closes_at=closes_at, roll_size=election.roll_size, roll_hash_hex=election.roll_hash, election_key=key_hex,
        committee=committee_summary, board_public_key=keys.bls_public_hex,
        receipt_public_key=keys.bip340_public_hex, constitution_version=proposal.constitution_version,
        rule=_decision_rule(session, proposal, method, rules),
        client_scripts=client_script_hashes() if secrecy == Secrecy.SECRET else None)
    election.fingerprint = record.manifest_fingerprint(election.manifest)
    session.flush()
    record_event(session, actor=actor, action="election.created", subject_type="election", subject_id=election.id,
                 details={"proposal_id": proposal.id, "fingerprint": election.fingerprint, "secrecy": secrecy.value,
                          "method": method, "roll_size": election.roll_size, "roll_hash": election.roll_hash,
                          "committee_id": committee_id},
                 now=now)
    board.sign_head(session, election, now)
    return election


# ---------------------------------------------------------------- reading

def election_of(session: Session, proposal_id: int) -> Election | None:
    return session.execute(select(Election).where(Election.proposal_id == proposal_id)).scalar_one_or_none()


def roll_entry_of(session: Session, election: Election, member: Member | None) -> RollEntry | None:
    if member is None:
        return None
    return session.execute(select(RollEntry).where(RollEntry.election_id == election.id,
                                                   RollEntry.member_id == member.id)).scalar_one_or_none()


def roll_aliases(session: Session, election: Election) -> list[str]:
    """The public roll: every alias, sorted (``record.roll_hash`` of this is ``election.roll_hash``)."""
    return sorted(session.execute(select(RollEntry.alias).where(RollEntry.election_id == election.id)).scalars())


def window_open(election: Election, now: datetime) -> bool:
    """Ballots are accepted iff the clock is inside the window [opens_at, closes_at)."""
    return as_utc(election.opens_at) <= as_utc(now) < as_utc(election.closes_at)


def question_specs(election: Election) -> tuple[QuestionSpec, ...]:
    return tuple(question_from_json(q) for q in election.manifest["questions"])


@lru_cache(maxsize=32)
def _election_key(point_hex: str) -> ElectionKey:
    return ElectionKey(Point.from_hex(point_hex))  # the fixed-base table is worth keeping between requests


def election_key(election: Election) -> ElectionKey | None:
    """The key ballots are encrypted to (None for an open election)."""
    key_hex = election.manifest.get("election_key")
    return _election_key(key_hex) if key_hex else None
