"""Secret elections counted by a real trustee committee (ceremony through the services, trustee-side
code as ``dataguild trustee`` runs it), for the counting tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from governance.members.models import Member
from governance.sitecontext import as_utc
from proposals.models import ProposalState
from tests.proposals.factories import make_proposal, new_member, seed_governance
from tests.voting.committee_helpers import NOW, announcement_payload, appoint, ceremony_of
from tests.voting.factories import MEMBERS_SINCE, ElectionSetup
from voting.committees import ceremony as cs
from voting.committees.models import TrusteeCommittee
from voting.committees.services import committee_summary, joint_key_of
from voting.crypto.keyfile import TrusteeSecrets
from voting.elections import services as elections
from voting.elections.models import Secrecy
from voting.trustees import client as tc
from voting.trustees.api import ceremony_state


@dataclass
class Trustee:
    index: int
    member: Member
    secrets: TrusteeSecrets  # with the key share


def ready_committee(session: Session, steward: Member, n: int, k: int, prefix: str) -> tuple[TrusteeCommittee,
                                                                                               dict[int, Trustee]]:
    committee, seats = appoint(session, steward, n, k, prefix=prefix)
    for seat in seats:
        cs.submit_announcement(session, committee.id, seat.member,
                               announcement_payload(ceremony_of(committee), seat.secrets), now=NOW)
    session.commit()
    for seat in seats:
        state = ceremony_state(session, committee, seat.member)
        roster = tc.checked_roster(ceremony_of(committee), state, seat.secrets)
        seat.secrets, payload = tc.dealing_payload(ceremony_of(committee), seat.secrets, roster)
        cs.submit_dealing(session, committee.id, seat.member, payload, now=NOW)
        session.commit()
    for seat in seats:
        state = ceremony_state(session, committee, seat.member)
        roster = tc.checked_roster(ceremony_of(committee), state, seat.secrets)
        confirmation = tc.confirmation_payload(ceremony_of(committee), seat.secrets, roster, state)
        cs.submit_confirmation(session, committee.id, seat.member, confirmation.payload, now=NOW)
        session.commit()
    trustees = {}
    joint = joint_key_of(session, committee.id)
    for seat in seats:
        state = ceremony_state(session, committee, seat.member)
        roster = tc.checked_roster(ceremony_of(committee), state, seat.secrets)
        secrets = tc.derive_share(ceremony_of(committee), seat.secrets, roster, state, joint)
        trustees[secrets.index] = Trustee(secrets.index, seat.member, secrets)
    return committee, trustees


def make_secret_election(session: Session, committee: TrusteeCommittee, *, kind: str = "data_use_rule",
                         method: str | None = None, voters: int = 3, body: dict[str, Any] | None = None,
                         now: datetime | None = None) -> ElectionSetup:
    """Like ``tests.voting.factories.make_election`` but encrypted to ``committee``'s joint key."""
    now = now or datetime.now(UTC)
    seed_governance(session)
    members = [new_member(session, "member", now=now - MEMBERS_SINCE) for _ in range(voters)]
    steward = new_member(session, "member", "steward", now=now - MEMBERS_SINCE)
    proposal = make_proposal(session, members[0], kind=kind, state=ProposalState.VOTING, now=now, body=body,
                             steward=steward)
    if method is not None:
        proposal.voting_method = method
    election = elections.create_election(
        session, proposal, actor=steward, now=proposal.voting_opened_at, secrecy=Secrecy.SECRET,
        election_key_hex=joint_key_of(session, committee.id).election_key().hex(), committee_id=committee.id,
        committee_summary=committee_summary(session, committee.id), cooperative_name="Test cooperative")
    return ElectionSetup(election=election, proposal=proposal, steward=steward, voters=[steward, *members], now=now)


def after_close(setup: ElectionSetup) -> datetime:
    """A moment just after the voting window."""
    return max(as_utc(setup.election.closes_at), as_utc(setup.proposal.voting_closes_at)) + timedelta(minutes=1)
