"""Members through the site: invitations, directory, roles, suspension, leaving, with real forms."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.mail.models import OutboxMail
from governance.members.models import Invitation, Member, MemberRole, MemberStatus, MemberStatusChange, Role
from governance.members.services import invite_member
from governance.sitecontext import SiteSettings, utcnow
from tests.conftest import DEFAULT_PASSWORD, count_rows, csrf_token, fetch_all, login, make_member, reload

LINK_RE = re.compile(r"http://localhost(/invitations/[A-Za-z0-9_.\-]+)")


def _invite(client, email="new@example.org", name="Newcomer", roles=("member",)):
    page = client.get("/members/invite")
    return client.post("/members/invite", data={"email": email, "name": name, "roles": list(roles),
                                                "csrf_token": csrf_token(page.data)})


def _last_mail(db_session) -> OutboxMail:
    return fetch_all(db_session, select(OutboxMail).order_by(OutboxMail.id.desc()).limit(1))[0]


def _accept(client, path, name="New Person", password="my new password"):  # noqa: S107
    page = client.get(path)
    return client.post(path, data={"name": name, "password": password, "confirm": password,
                                   "csrf_token": csrf_token(page.data)})


def _audit_actions(db_session) -> list[str]:
    return fetch_all(db_session, select(AuditEntry.action).order_by(AuditEntry.seq))


def _member_by_email(db_session, email) -> Member:
    return fetch_all(db_session, select(Member).where(Member.email == email))[0]


def test_steward_invites_and_the_invitee_joins_with_the_mailed_link(app, steward_client, db_session, capsys):
    response = _invite(steward_client)
    assert response.status_code == 302
    invited = _member_by_email(db_session, "new@example.org")
    assert invited.status == MemberStatus.INVITED
    assert invited.password_hash is None
    mail = _last_mail(db_session)
    assert mail.to_address == "new@example.org"
    assert mail.sent_at is not None  # console backend: printed after the commit
    assert "new@example.org" in capsys.readouterr().out
    path = LINK_RE.search(mail.body).group(1)
    # The invitation shows up for stewards on the home page and in the outbox.
    assert "Invitations not yet accepted" in steward_client.get("/").data.decode()
    assert "new@example.org" in steward_client.get("/dev/outbox").data.decode()

    newcomer = app.test_client()
    response = _accept(newcomer, path, name="Nia New")
    assert response.status_code == 302
    assert "Hello, Nia New" in newcomer.get("/").data.decode()
    member = reload(db_session, Member, invited.id)
    assert member.status == MemberStatus.ACTIVE
    assert member.name == "Nia New"
    assert member.joined_at is not None
    assert member.password_hash.startswith("$argon2id$")
    assert _audit_actions(db_session)[-2:] == ["member.invited", "member.joined"]
    # Single use: the same link is refused afterwards, and nothing changes.
    again = app.test_client().get(path)
    assert again.status_code == 400
    assert "already been used" in again.data.decode()
    assert reload(db_session, Member, invited.id).name == "Nia New"


def test_tampered_and_expired_invitation_links_are_refused(app, db_session, client):
    site = SiteSettings.from_config(app.config)
    _, link = invite_member(db_session, actor=None, email="late@example.org", name="Late", roles=[Role.MEMBER],
                            site=site, now=utcnow() - timedelta(days=30))
    _, fresh_link = invite_member(db_session, actor=None, email="fresh@example.org", name="Fresh",
                                  roles=[Role.MEMBER], site=site)
    db_session.commit()
    expired = client.get(link.removeprefix("http://localhost"))
    assert expired.status_code == 400
    assert "expired" in expired.data.decode()
    path = fresh_link.removeprefix("http://localhost")
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for bad in (tampered, "/invitations/not-a-token"):
        response = client.get(bad)
        assert response.status_code == 400
        assert "not valid" in response.data.decode()
    response = client.post(tampered, data={"name": "X", "password": "long enough pw", "confirm": "long enough pw"})
    assert response.status_code == 400
    assert count_rows(db_session, Member, Member.status == MemberStatus.ACTIVE) == 0


def test_a_new_invitation_link_replaces_the_old_one(app, steward_client, db_session):
    _invite(steward_client, email="twice@example.org")
    first = LINK_RE.search(_last_mail(db_session).body).group(1)
    member = _member_by_email(db_session, "twice@example.org")
    page = steward_client.get("/members/invitations")
    assert steward_client.post(f"/members/{member.id}/reinvite",
                               data={"csrf_token": csrf_token(page.data)}).status_code == 302
    second = LINK_RE.search(_last_mail(db_session).body).group(1)
    assert first != second
    assert app.test_client().get(first).status_code == 400
    assert _accept(app.test_client(), second).status_code == 302


def test_duplicate_email_is_refused_next_to_the_field_and_nothing_is_written(steward_client, db_session):
    make_member(db_session, "taken@example.org")
    members, mails = count_rows(db_session, Member), count_rows(db_session, OutboxMail)
    response = _invite(steward_client, email="TAKEN@example.org")
    assert response.status_code == 400
    page = response.data.decode()
    assert "already a member with the email taken@example.org" in page
    assert 'aria-describedby="email-error"' in page
    assert count_rows(db_session, Member) == members
    assert count_rows(db_session, OutboxMail) == mails


def test_invite_form_without_csrf_token_changes_nothing(steward_client, db_session):
    response = steward_client.post("/members/invite", data={"email": "x@example.org", "name": "X", "roles": ["member"]})
    assert response.status_code == 400
    assert "security token" in response.data.decode()
    assert count_rows(db_session, Member, Member.email == "x@example.org") == 0


def test_member_opening_a_steward_page_gets_a_friendly_403(member_client, db_session):
    before = count_rows(db_session, Member)
    for path in ("/members/invite", "/members/invitations"):
        response = member_client.get(path)
        assert response.status_code == 403
        assert "You may not open this page" in response.data.decode()
    response = member_client.post("/members/invite", data={
        "email": "x@example.org", "name": "X", "roles": ["member"],
        "csrf_token": csrf_token(member_client.get("/account").data)})
    assert response.status_code == 403
    assert count_rows(db_session, Member) == before


def test_directory_is_for_signed_in_members_emails_for_stewards(client, member_client, steward_client,
                                                               observer_client, db_session):
    make_member(db_session, "listed@example.org", name="Listed Person")
    assert client.get("/members").status_code == 302  # anonymous: to the sign-in page
    assert observer_client.get("/members").status_code == 403  # observers are outsiders
    as_member = member_client.get("/members").data.decode()
    assert "Listed Person" in as_member
    assert "listed@example.org" not in as_member
    assert "listed@example.org" in steward_client.get("/members").data.decode()


def _change_role(client, member_id, role, action="add"):
    page = client.get(f"/members/{member_id}")
    return client.post(f"/members/{member_id}/roles", data={"role": role, "action": action,
                                                            "csrf_token": csrf_token(page.data)})


def test_who_may_grant_which_role(make_logged_in_client, db_session):
    steward_client, _ = make_logged_in_client("member", "steward")
    admin_client, admin = make_logged_in_client("member", "admin")
    target = make_member(db_session, "target@example.org")
    assert _change_role(steward_client, target.id, "observer").status_code == 302
    for role in ("steward", "trustee", "admin"):
        assert _change_role(steward_client, target.id, role).status_code == 403
    assert reload(db_session, Member, target.id).role_names == {Role.MEMBER, Role.OBSERVER}
    assert _change_role(admin_client, target.id, "trustee").status_code == 302
    assert _change_role(steward_client, target.id, "observer", "remove").status_code == 302
    assert reload(db_session, Member, target.id).role_names == {Role.MEMBER, Role.TRUSTEE}
    # Granting a role twice, or removing the last admin, is a clear 400 that changes nothing.
    twice = _change_role(admin_client, target.id, "trustee")
    assert twice.status_code == 400
    assert "already holds" in twice.data.decode()
    last = _change_role(admin_client, admin.id, "admin", "remove")
    assert last.status_code == 400
    assert "at least one admin" in last.data.decode()
    assert count_rows(db_session, MemberRole, MemberRole.role == Role.ADMIN) == 1
    actions = _audit_actions(db_session)
    assert actions.count("member.role_added") == 2
    assert actions.count("member.role_removed") == 1


def _change_status(client, member_id, change, reason="Repeated abuse in discussions"):
    page = client.get(f"/members/{member_id}")
    return client.post(f"/members/{member_id}/{change}", data={"reason": reason, "csrf_token": csrf_token(page.data)})


def test_suspension_signs_the_member_out_and_reinstatement_lets_them_back(app, steward_client, db_session):
    target = make_member(db_session, "target@example.org")
    target_client = app.test_client()
    login(target_client, "target@example.org")
    assert _change_status(steward_client, target.id, "suspend", reason="").status_code == 400  # reason needed
    assert reload(db_session, Member, target.id).status == MemberStatus.ACTIVE
    assert _change_status(steward_client, target.id, "suspend").status_code == 302
    assert reload(db_session, Member, target.id).status == MemberStatus.SUSPENDED
    assert target_client.get("/account").status_code == 302  # signed out
    refused = login(app.test_client(), "target@example.org", expect_success=False)
    assert refused.status_code == 403
    assert "suspended" in refused.data.decode()
    assert _change_status(steward_client, target.id, "reinstate", reason="Apologised").status_code == 302
    assert reload(db_session, Member, target.id).status == MemberStatus.ACTIVE
    login(app.test_client(), "target@example.org")
    history = fetch_all(db_session, select(MemberStatusChange.status, MemberStatusChange.reason)
                        .where(MemberStatusChange.member_id == target.id).order_by(MemberStatusChange.id))
    assert [(s.value, r) for s, r in history] == [
        ("active", "added"), ("suspended", "Repeated abuse in discussions"), ("active", "Apologised")]
    assert _audit_actions(db_session)[-2:] == ["member.suspended", "member.reinstated"]


def test_only_admins_suspend_stewards_and_nobody_suspends_themselves(make_logged_in_client, db_session):
    steward_client, steward = make_logged_in_client("member", "steward")
    _, other_steward = make_logged_in_client("member", "steward")
    assert _change_status(steward_client, other_steward.id, "suspend").status_code == 403
    assert _change_status(steward_client, steward.id, "suspend").status_code == 403
    admin_client, _ = make_logged_in_client("admin")
    assert _change_status(admin_client, other_steward.id, "suspend").status_code == 302
    assert reload(db_session, Member, steward.id).status == MemberStatus.ACTIVE


def test_member_leaves_the_cooperative(make_logged_in_client, app, db_session):
    client, member = make_logged_in_client("member")
    page = client.get("/account")
    unconfirmed = client.post("/account/leave", data={"csrf_token": csrf_token(page.data)})
    assert unconfirmed.status_code == 400
    assert "Tick the box" in unconfirmed.data.decode()
    assert reload(db_session, Member, member.id).status == MemberStatus.ACTIVE
    response = client.post("/account/leave", data={"confirm": "y", "reason": "Moving abroad",
                                                   "csrf_token": csrf_token(page.data)})
    assert response.status_code == 302
    left = reload(db_session, Member, member.id)
    assert left.status == MemberStatus.LEFT
    assert left.left_at is not None
    assert client.get("/account").status_code == 302
    refused = login(app.test_client(), member.email, expect_success=False)
    assert refused.status_code == 403
    assert "left the cooperative" in refused.data.decode()


def test_audit_details_never_hold_secrets(app, steward_client, db_session):
    _invite(steward_client, email="secret@example.org")
    mail = _last_mail(db_session)
    token = LINK_RE.search(mail.body).group(1).rsplit("/", 1)[1]
    _accept(app.test_client(), f"/invitations/{token}", password="hunter2 hunter2")
    dumped = json.dumps([e.details for e in fetch_all(db_session, select(AuditEntry))])
    hashes = fetch_all(db_session, select(Member.password_hash))
    nonces = fetch_all(db_session, select(Invitation.nonce))
    assert token not in dumped
    assert "hunter2" not in dumped
    assert DEFAULT_PASSWORD not in dumped
    for secret in [*hashes, *nonces]:
        assert secret is None or secret not in dumped


def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(client, db_session):
    target = make_member(db_session, "target@example.org")
    for path in ("/members", f"/members/{target.id}", "/members/invite", "/account"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    page = client.get("/login")
    response = client.post(f"/members/{target.id}/suspend", data={"reason": "x", "csrf_token": csrf_token(page.data)})
    assert response.status_code == 302
    assert reload(db_session, Member, target.id).status == MemberStatus.ACTIVE


def test_steward_cannot_invite_someone_as_trustee(steward_client, db_session):
    response = _invite(steward_client, email="t@example.org", roles=("member", "trustee"))
    assert response.status_code == 400
    html = response.data.decode()
    assert "You may not grant the trustee role." in html
    assert 'id="roles-error"' in html
    assert count_rows(db_session, Member, Member.email == "t@example.org") == 0
