"""Trustees with real key material, and the ceremony messages they send (built with the same client
code the ``dataguild trustee`` commands use), for the committee tests."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from governance.api.models import ApiToken
from governance.api.services import create_token
from governance.members.models import Member
from tests.conftest import make_member
from voting.committees import ceremony as cs
from voting.committees.models import CommitteeStatus, TrusteeCommittee
from voting.committees.services import create_committee
from voting.crypto import bls
from voting.crypto import trustees as T
from voting.crypto.keyfile import TrusteeSecrets, generate_trustee
from voting.trustees import client as tc

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@functools.cache
def _bls_pop(signing_secret: bytes) -> tuple[str, str]:
    # BLS is deterministic, and a proof of possession costs ~0.6 s in py-ecc: prove once per key.
    secret = bls.keygen(signing_secret, tc.BLS_KEY_INFO)
    return secret.public_key().to_hex(), bls.pop_prove(secret).to_hex()


@functools.cache
def trustee_keys(seed: str) -> TrusteeSecrets:
    """Fixed key material per seed (the same in every test, so the BLS proof is computed once)."""
    return generate_trustee(1, T.deterministic_rng(seed.encode()))


def announcement_payload(ceremony: T.Ceremony, secrets: TrusteeSecrets) -> dict[str, Any]:
    public, pop = _bls_pop(secrets.signing_secret)
    return {"announcement": T.announce(ceremony, secrets).to_json(), "bls_public_key": public, "bls_pop": pop}


@dataclass
class Seat:
    member: Any
    secrets: TrusteeSecrets


def appoint(session: Session, steward: Any, n: int, k: int, *,
            prefix: str = "t") -> tuple[TrusteeCommittee, list[Seat]]:
    members = [make_member(session, f"{prefix}{i}@example.org", name=f"Trustee {prefix}{i}",
                           roles=("member", "trustee")) for i in range(1, n + 1)]
    committee = create_committee(session, actor=steward, name=f"Committee {prefix}", member_ids=[m.id for m in members],
                                 k=k, now=NOW)
    session.commit()
    ceremony = T.Ceremony(bytes.fromhex(committee.fingerprint), n, k)
    seats = [Seat(m, replace(trustee_keys(f"{prefix}-{i}"), index=i, fingerprint=ceremony.fingerprint))
             for i, m in enumerate(members, start=1)]
    return committee, seats


def ceremony_of(committee: TrusteeCommittee) -> T.Ceremony:
    return T.Ceremony(bytes.fromhex(committee.fingerprint), committee.n, committee.k)


# ---------------------------------------------------------------- running the ceremony through the services

def announce_all(session: Session, committee: TrusteeCommittee, seats: list[Any]) -> None:
    for seat in seats:
        assert committee.status == CommitteeStatus.ANNOUNCING
        cs.submit_announcement(session, committee.id, seat.member,
                               announcement_payload(ceremony_of(committee), seat.secrets), now=NOW)
    session.commit()
    assert committee.status == CommitteeStatus.DEALING


def roster_of(seats: list[Any], committee: TrusteeCommittee) -> dict[int, T.Announcement]:
    return {s.secrets.index: T.announce(ceremony_of(committee), s.secrets) for s in seats}


def deal_payload(session: Session, committee: TrusteeCommittee, seat: Any) -> dict[str, Any]:
    from voting.trustees.api import ceremony_state  # the site's view of the ceremony, as the CLI fetches it

    state = ceremony_state(session, committee, seat.member)
    roster = tc.checked_roster(ceremony_of(committee), state, seat.secrets)
    seat.secrets, payload = tc.dealing_payload(ceremony_of(committee), seat.secrets, roster)
    return payload


def confirm_seat(session: Session, committee: TrusteeCommittee, seat: Any) -> tc.Confirmation:
    from voting.trustees.api import ceremony_state

    state = ceremony_state(session, committee, seat.member)
    roster = tc.checked_roster(ceremony_of(committee), state, seat.secrets)
    confirmation = tc.confirmation_payload(ceremony_of(committee), seat.secrets, roster, state)
    cs.submit_confirmation(session, committee.id, seat.member, confirmation.payload, now=NOW)
    session.commit()
    return confirmation


def complaint_ceremony(session: Session, steward: Any, prefix: str) -> tuple[TrusteeCommittee, list[Any]]:
    """A 2-of-3 ceremony run to READY in which dealer 1 cheats (trustee 2's complaint is upheld and
    dealer 1 disqualified) and trustee 3 falsely accuses dealer 2 (a valid complaint, not upheld)."""
    from voting.trustees.api import ceremony_state

    committee, seats = appoint(session, steward, 3, 2, prefix=prefix)
    announce_all(session, committee, seats)
    ceremony = ceremony_of(committee)
    cheat = deal_payload(session, committee, seats[0])
    bad = T.encrypt_share(ceremony, seats[0].secrets, roster_of(seats, committee), 2, value=12345)
    cheat["shares"] = [bad.to_json() if s["recipient"] == 2 else s for s in cheat["shares"]]
    cs.submit_dealing(session, committee.id, seats[0].member, cheat, now=NOW)
    for seat in seats[1:]:
        cs.submit_dealing(session, committee.id, seat.member, deal_payload(session, committee, seat), now=NOW)
    session.commit()
    confirm_seat(session, committee, seats[1])
    state = ceremony_state(session, committee, seats[2].member)
    share = next(T.EncryptedShare.from_json(s) for s in state["shares_to_me"] if s["dealer"] == 2)
    false = T.complain(ceremony, seats[2].secrets, roster_of(seats, committee), share)
    cs.submit_confirmation(session, committee.id, seats[2].member, {"complaints": [false.to_json()]}, now=NOW)
    session.commit()
    confirm_seat(session, committee, seats[0])
    return committee, seats


def trustee_token(session: Session, member: Member, label: str = "cli") -> tuple[ApiToken, str]:
    """A personal access token with the trustee scope, valid from now (expiry is checked at the real clock)."""
    return create_token(session, member=member, label=label, scopes=["trustee"], lifetime_days=90,
                        now=datetime.now(UTC))
