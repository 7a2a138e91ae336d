"""Member lifecycle rules and the "active at time T" helpers, through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from governance.auth.tokens import TokenExpired, TokenInvalid
from governance.members.models import Member, MemberStatus, Role
from governance.members.services import (
    ALLOWED_TRANSITIONS,
    DuplicateEmail,
    InvalidTransition,
    MembershipError,
    NotPermitted,
    change_status,
    eligible_voter_ids_at,
    insert_new_member,
    invite_member,
    is_active_at,
    is_eligible_voter_at,
    leave_cooperative,
    open_invitation,
    parse_roles,
    reinstate_member,
    status_at,
    suspend_member,
)
from governance.sitecontext import SiteSettings, utcnow
from tests.conftest import make_member, separate_session


def test_status_history_answers_active_at_time_t(db_session):
    member = make_member(db_session, "ana@example.org", commit=False)
    joined = member.joined_at
    t_suspend, t_back, t_left = (joined + timedelta(days=d) for d in (10, 20, 30))
    suspend_member(db_session, actor=None, member=member, reason="r", now=t_suspend)
    reinstate_member(db_session, actor=None, member=member, reason="r", now=t_back)
    leave_cooperative(db_session, member=member, now=t_left)
    db_session.commit()
    assert status_at(db_session, member, joined - timedelta(seconds=1)) is None
    assert is_active_at(db_session, member, joined)
    assert is_active_at(db_session, member, t_suspend - timedelta(seconds=1))
    assert not is_active_at(db_session, member, t_suspend)
    assert status_at(db_session, member, t_suspend + timedelta(days=1)) == MemberStatus.SUSPENDED
    assert is_active_at(db_session, member, t_back)
    assert not is_active_at(db_session, member, t_left + timedelta(days=1))
    assert member.left_at == t_left


def test_eligible_voters_hold_the_member_role_and_were_active(db_session):
    voter = make_member(db_session, "voter@example.org", roles=("member",), commit=False)
    observer = make_member(db_session, "obs@example.org", roles=("observer",), commit=False)
    suspended = make_member(db_session, "sus@example.org", roles=("member",), commit=False)
    later = utcnow() + timedelta(hours=1)
    suspend_member(db_session, actor=None, member=suspended, reason="r", now=later)
    db_session.commit()
    now = utcnow()
    assert is_eligible_voter_at(db_session, voter, now)
    assert not is_eligible_voter_at(db_session, observer, now)
    assert eligible_voter_ids_at(db_session, now) == sorted([voter.id, suspended.id])
    assert eligible_voter_ids_at(db_session, later + timedelta(seconds=1)) == [voter.id]


def test_only_allowed_transitions_happen(db_session):
    member = make_member(db_session, "ana@example.org", commit=False)
    leave_cooperative(db_session, member=member)
    for target in MemberStatus:
        if target not in ALLOWED_TRANSITIONS[MemberStatus.LEFT]:
            with pytest.raises(InvalidTransition):
                change_status(db_session, member, target, actor=None)
    assert member.status == MemberStatus.LEFT
    other = make_member(db_session, "bo@example.org", commit=False)
    with pytest.raises(InvalidTransition):
        reinstate_member(db_session, actor=None, member=other, reason="not suspended")


def test_status_change_voids_sessions(db_session):
    member = make_member(db_session, "ana@example.org", commit=False)
    version = member.session_version
    suspend_member(db_session, actor=None, member=member, reason="r")
    assert member.session_version == version + 1


def test_permissions_are_enforced_by_the_services_too(db_session):
    steward = make_member(db_session, "st@example.org", roles=("member", "steward"), commit=False)
    plain = make_member(db_session, "pl@example.org", commit=False)
    site = SiteSettings("k" * 32, "http://x", "Coop", 3600, 3600)
    with pytest.raises(NotPermitted):
        invite_member(db_session, actor=plain, email="n@example.org", name="N", roles=[Role.MEMBER], site=site)
    with pytest.raises(NotPermitted):
        invite_member(db_session, actor=steward, email="n@example.org", name="N", roles=[Role.TRUSTEE], site=site)
    with pytest.raises(NotPermitted):
        suspend_member(db_session, actor=plain, member=steward, reason="r")


def test_parse_roles_names_the_unknown_role():
    assert parse_roles(["Member", "steward", "member"]) == [Role.MEMBER, Role.STEWARD]
    with pytest.raises(MembershipError, match="Unknown role 'chair'"):
        parse_roles(["chair"])


def test_invitation_tokens_expire_and_reject_tampering(db_session):
    site = SiteSettings("k" * 32, "http://x", "Coop", 3600, 3600)
    now = utcnow()
    _, link = invite_member(db_session, actor=None, email="n@example.org", name="N", roles=[Role.MEMBER],
                            site=site, now=now)
    token = link.rsplit("/", 1)[1]
    assert open_invitation(db_session, token, site=site, now=now + timedelta(minutes=59)).member.name == "N"
    with pytest.raises(TokenExpired):
        open_invitation(db_session, token, site=site, now=now + timedelta(hours=2))
    other_key = SiteSettings("z" * 32, "http://x", "Coop", 3600, 3600)
    with pytest.raises(TokenInvalid):
        open_invitation(db_session, token, site=other_key, now=now)


def test_losing_the_race_on_a_duplicate_email_is_the_same_clear_error(app, db_session):
    """Two requests both pass the "email free?" check; the second insert hits the unique constraint."""
    make_member(db_session, "race@example.org")
    with separate_session(db_session) as other:
        other.execute(select(Member)).all()  # another request, its check done before the first commit
        with pytest.raises(DuplicateEmail, match="already a member"):
            insert_new_member(other, Member(name="R", email="race@example.org", status=MemberStatus.INVITED,
                                         created_at=utcnow()))
        assert other.execute(select(func.count()).select_from(Member)).scalar_one() == 1  # still usable
        other.rollback()
