"""Elections for tests, made through the real services (proposals lifecycle, create_election, the board).

Typical use::

    setup = make_election(db_session, voters=3)                      # secret, yes/no/abstain
    setup = make_election(db_session, secrecy=Secrecy.OPEN, kind="payout_policy")   # open, quadratic
    entry, receipt = post_ballot(db_session, setup.election, setup.voters[0], [[1, 0, 0]])
    db_session.commit()

Secret elections use a single-trustee test key (``TEST_ELECTION_SECRET``), so a test can decrypt
tallies with ``voting.crypto.elgamal.decrypt_with_secret``. Voters are members active since long
before voting opened; voting opened ``VOTING_OPENED_AGO`` (2 days) before ``now`` and is still open.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from governance.members.models import Member
from proposals.models import Proposal, ProposalState
from tests.conftest import csrf_token
from tests.proposals.factories import make_proposal, new_member, seed_governance
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.elgamal import ElectionKey
from voting.crypto.group import base_mult
from voting.elections import board, casting, client
from voting.elections import services as elections
from voting.elections.models import BoardEntry, Election, EntryKind, Secrecy
from voting.record.canonical import Receipt

#: The secret of the single-trustee test election key (never use a fixed key outside tests).
TEST_ELECTION_SECRET = 0x5EC12E7_7E57_0001
TEST_ELECTION_KEY = ElectionKey(base_mult(TEST_ELECTION_SECRET))
MEMBERS_SINCE = timedelta(days=90)
TEST_ELECTION_KEY_HEX = TEST_ELECTION_KEY.point.hex()


@dataclass
class ElectionSetup:
    election: Election
    proposal: Proposal
    steward: Member
    voters: list[Member]
    now: datetime
    outsiders: list[Member] = field(default_factory=list)


def make_election(session: Session, *, kind: str = "data_use_rule", secrecy: Secrecy | str = Secrecy.SECRET,
                  method: str | None = None, voters: int = 3, now: datetime | None = None,
                  body: dict[str, Any] | None = None, committee_id: int | None = None,
                  committee_summary: dict[str, Any] | None = None,
                  cooperative_name: str = "Test cooperative") -> ElectionSetup:
    """A proposal of ``kind`` in voting with its election (``method`` overrides the constitution's
    default method of the kind). The roll is ``setup.voters``: the steward who opened the election
    and ``voters`` members (the first of them wrote the proposal); the sponsors made by
    ``make_proposal`` joined after opening and are not on it. Does not commit."""
    now = now or datetime.now(UTC)
    secrecy = Secrecy(secrecy)
    seed_governance(session)
    members = [new_member(session, "member", now=now - MEMBERS_SINCE) for _ in range(voters)]
    steward = new_member(session, "member", "steward", now=now - MEMBERS_SINCE)
    proposal = make_proposal(session, members[0] if members else steward, kind=kind, state=ProposalState.VOTING,
                             now=now, body=body, steward=steward)
    if method is not None:
        proposal.voting_method = method
    election = elections.create_election(
        session, proposal, actor=steward, now=proposal.voting_opened_at, secrecy=secrecy,
        election_key_hex=TEST_ELECTION_KEY_HEX if secrecy == Secrecy.SECRET else None,
        committee_id=committee_id if secrecy == Secrecy.SECRET else None,
        committee_summary=committee_summary, cooperative_name=cooperative_name)
    return ElectionSetup(election=election, proposal=proposal, steward=steward, voters=[steward, *members],
                         now=now)


def post_ballot(session: Session, election: Election, member: Member, choices: Sequence[Any], *,
                now: datetime | None = None, kind: EntryKind = EntryKind.CAST,
                ballot_ref: str | None = None) -> tuple[BoardEntry, Receipt]:
    """Put a ballot on the board the way casting does (secret: encrypted with proofs; open: the
    choices), without casting's checks. ``choices`` is one list per question."""
    now = now or datetime.now(UTC)
    roll_entry = elections.roll_entry_of(session, election, member)
    assert roll_entry is not None, "the member is not on the roll"
    board.lock_election(session, election)
    if election.secrecy == Secrecy.SECRET:
        key = elections.election_key(election)
        assert key is not None
        ref = ballot_ref or f"{roll_entry.alias}.{roll_entry.ballots_cast}.{kind.value}.{now.timestamp():.6f}"
        ballot, _secrets = encrypt_ballot(elections.question_specs(election), list(choices), key,
                                          bytes.fromhex(election.fingerprint), ref)
        payload, tracking_code = ballot.to_json(), ballot.tracking_code()
    else:
        from voting.record.canonical import sha256_hex

        payload = {"choices": [list(c) for c in choices]}
        tracking_code = sha256_hex({"alias": roll_entry.alias, "n": roll_entry.ballots_cast, "kind": kind.value,
                                    "choices": payload["choices"], "at": now.isoformat()})
    entry, receipt = board.append_entry(session, election, roll_entry, kind=kind, payload=payload,
                                        tracking_code=tracking_code, now=now)
    if kind == EntryKind.CAST:
        roll_entry.ballots_cast += 1
    return entry, receipt


def cast(session: Session, election: Election, member: Member, choices: Any, *, expected_previous: Any = 0,
         now: datetime) -> casting.CastResult:
    """Cast as the member's device does: a secret ballot is encrypted by ``voting.elections.client`` (the
    Python twin of the ballot page's JavaScript) and only the encrypted ballot reaches the service; an
    open ballot sends its choices."""
    if election.secrecy == Secrecy.SECRET:
        ballot = client.prepare(election.manifest, choices).to_json()
        return casting.cast_ballot(session, election, member, ballot=ballot, expected_previous=expected_previous,
                                   now=now)
    return casting.cast_ballot(session, election, member, choices=choices, expected_previous=expected_previous, now=now)


def audit(session: Session, election: Election, member: Member, choices: Any, *,
          now: datetime) -> casting.AuditResult:
    """Audit as the member's device does: encrypt, then post the ballot with its randomness revealed."""
    if election.secrecy != Secrecy.SECRET:  # let the service refuse it, as it refuses any open audit
        return casting.audit_ballot(session, election, member, ballot={}, reveal={}, now=now)
    prepared = client.prepare(election.manifest, choices)
    return casting.audit_ballot(session, election, member, ballot=prepared.to_json(), reveal=prepared.reveal(),
                                now=now)


def device(browser, eid: int, choices, *, action: str = "cast", page=None, expected_previous=None):
    """What the secret ballot page's script does in the member's browser: fetch the manifest, check it
    against the fingerprint the page shows, encrypt with the voter's client code (``voting.elections.client``, the
    Python twin of static/js/ballot/encrypt.js), and post only the encrypted ballot to ballot.json with
    the page's CSRF token in X-CSRFToken. Returns (response, prepared ballot)."""
    page = page if page is not None else browser.get(f"/elections/{eid}/ballot")
    html = page.data.decode()
    manifest = browser.get(re.search(r'data-manifest-url="([^"]+)"', html).group(1)).get_json()
    fingerprint = re.search(r'data-fingerprint="([0-9a-f]{64})"', html).group(1)
    client.check_manifest(manifest, fingerprint)
    prepared = client.prepare(manifest, choices)
    if expected_previous is None:
        expected_previous = int(re.search(r'name="expected_previous"[^>]*value="(\d+)"', html).group(1))
    body = {"action": action, "ballot": prepared.to_json()}
    body.update({"reveal": prepared.reveal()} if action == "audit" else {"expected_previous": expected_previous})
    response = browser.post(f"/elections/{eid}/ballot.json", json=body, headers={"X-CSRFToken": csrf_token(html)})
    return response, prepared
