"""Committee pages and trustee tokens through the real forms (with CSRF) and role checks."""

from __future__ import annotations

import re

from tests.conftest import count_rows, csrf_token, make_member, reload
from tests.voting.committee_helpers import NOW, announcement_payload, appoint, ceremony_of
from voting.committees import ceremony as cs
from voting.committees import services as svc
from voting.committees.models import CommitteeStatus, TrusteeCommittee
from voting.crypto import trustees as T
from voting.trustees import client as tc
from voting.trustees.api import ceremony_state


def _committee(db_session, steward, trustees, k=1, name="Budget 2027"):
    committee = svc.create_committee(db_session, actor=steward, name=name, member_ids=[t.id for t in trustees], k=k,
                                     now=NOW)
    db_session.commit()
    return committee.id


def test_a_steward_appoints_a_committee_through_the_form(make_logged_in_client, db_session):
    client, _steward = make_logged_in_client("member", "steward")
    ann = make_member(db_session, "ann@example.org", name="Ann", roles=("member", "trustee"))
    bob = make_member(db_session, "bob@example.org", name="Bob", roles=("member", "trustee"))
    make_member(db_session, "carl@example.org", name="Carl", roles=("member",))
    page = client.get("/committees")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ann (ann@example.org)" in html
    assert "Bob (bob@example.org)" in html
    assert "Carl" not in html
    token = csrf_token(html)
    refused = client.post("/committees", data={"csrf_token": token, "name": "Keys", "trustees": [ann.id, bob.id],
                                               "k": "3"})
    assert refused.status_code == 400
    assert re.search(r'class="field-error" id="k-error">The threshold must be between 1 and the number of trustees '
                     r"\(2\)", refused.get_data(as_text=True))
    assert client.post("/committees", data={"name": "Keys", "trustees": [ann.id], "k": "1"}).status_code == 400
    assert count_rows(db_session, TrusteeCommittee) == 0
    done = client.post("/committees", data={"csrf_token": token, "name": "Keys", "trustees": [bob.id, ann.id],
                                            "k": "2"})
    assert done.status_code == 302
    committee = reload(db_session, TrusteeCommittee, int(done.headers["Location"].rsplit("/", 1)[1]))
    assert (committee.k, committee.n, committee.status) == (2, 2, CommitteeStatus.ANNOUNCING)
    assert [t.member.name for t in committee.trustees] == ["Ann", "Bob"]  # numbered in the form's order
    detail = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "1. Ann" in detail
    assert "2. Bob" in detail
    assert committee.fingerprint in detail
    assert "Finish the ceremony now" in detail


def test_who_may_see_and_appoint(make_logged_in_client, db_session, client):
    steward = make_member(db_session, "s@example.org", roles=("member", "steward"))
    seated_client, seated = make_logged_in_client("member", "trustee")
    cid = _committee(db_session, steward, [seated])
    other_trustee_client, _ = make_logged_in_client("member", "trustee")
    member_client, _ = make_logged_in_client("member")
    observer_client, _ = make_logged_in_client("observer")
    admin_client, _ = make_logged_in_client("member", "admin")
    assert client.get(f"/committees/{cid}").status_code == 302  # to sign in
    assert 'href="/committees">Trustees' in seated_client.get("/").get_data(as_text=True)
    for outsider in (member_client, observer_client):
        assert 'href="/committees"' not in outsider.get("/").get_data(as_text=True)
        assert outsider.get("/committees").status_code == 403
        assert outsider.get(f"/committees/{cid}").status_code == 403
    assert other_trustee_client.get(f"/committees/{cid}").status_code == 403
    assert "Budget 2027" not in other_trustee_client.get("/committees").get_data(as_text=True)
    listing = seated_client.get("/committees").get_data(as_text=True)
    assert "Budget 2027" in listing
    assert "Appoint a committee" not in listing
    token = csrf_token(seated_client.get("/committees").data)
    assert seated_client.post("/committees", data={"csrf_token": token, "name": "Mine", "trustees": [seated.id],
                                                   "k": "1"}).status_code == 403
    assert seated_client.post(f"/committees/{cid}/finish", data={"csrf_token": token}).status_code == 403
    assert admin_client.get(f"/committees/{cid}").status_code == 200
    assert client.get("/committees/999").status_code == 302
    assert admin_client.get("/committees/999").status_code == 404
    assert count_rows(db_session, TrusteeCommittee) == 1


def test_a_trustee_sees_the_exact_next_command(make_logged_in_client, db_session):
    steward = make_member(db_session, "s@example.org", roles=("member", "steward"))
    client, trustee = make_logged_in_client("member", "trustee")
    other = make_member(db_session, "o@example.org", name="Olga", roles=("member", "trustee"))
    cid = _committee(db_session, steward, [other, trustee], k=2)
    html = client.get(f"/committees/{cid}").get_data(as_text=True)
    assert "Your part (trustee 2)" in html
    assert f"dataguild trustee keygen --out trustee-committee-{cid}.json" in html
    assert (f"dataguild trustee announce --site http://localhost --committee {cid} "
            f"--key trustee-committee-{cid}.json") in html
    assert "DATAGUILD_TRUSTEE_TOKEN" in html
    assert "Finish the ceremony now" not in html


def test_a_steward_finishes_a_stalled_ceremony_which_fails_without_keys(make_logged_in_client, db_session):
    client, steward = make_logged_in_client("member", "steward")
    trustee = make_member(db_session, "t@example.org", roles=("member", "trustee"))
    cid = _committee(db_session, steward, [trustee])
    page = client.get(f"/committees/{cid}")
    assert client.post(f"/committees/{cid}/finish", data={}).status_code == 400
    response = client.post(f"/committees/{cid}/finish", data={"csrf_token": csrf_token(page.data)},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "The ceremony failed: only 0 of 1 trustees announced their keys" in html
    assert reload(db_session, TrusteeCommittee, cid).status == CommitteeStatus.FAILED
    assert "Finish the ceremony now" not in html


def test_the_progress_page_shows_steps_complaints_verdicts_and_the_joint_key(make_logged_in_client, db_session):
    steward_client, steward = make_logged_in_client("member", "steward")
    committee, seats = appoint(db_session, steward, 2, 1, prefix="w")
    cid, ceremony = committee.id, ceremony_of(committee)
    page = steward_client.get(f"/committees/{cid}").get_data(as_text=True)
    assert page.count("not yet") == 6
    for seat in seats:
        cs.submit_announcement(db_session, cid, seat.member, announcement_payload(ceremony, seat.secrets), now=NOW)
    db_session.commit()
    for seat in seats:
        state = ceremony_state(db_session, committee, seat.member)
        seat.secrets, payload = tc.dealing_payload(ceremony, seat.secrets,
                                                   tc.checked_roster(ceremony, state, seat.secrets))
        cs.submit_dealing(db_session, cid, seat.member, payload, now=NOW)
    db_session.commit()
    cs.submit_confirmation(db_session, cid, seats[0].member, {"complaints": []}, now=NOW)
    state = ceremony_state(db_session, committee, seats[1].member)
    share = T.EncryptedShare.from_json(state["shares_to_me"][0])
    roster = tc.checked_roster(ceremony, state, seats[1].secrets)
    false = T.complain(ceremony, seats[1].secrets, roster, share).to_json()  # about a good share
    cs.submit_confirmation(db_session, cid, seats[1].member, {"complaints": [false]}, now=NOW)
    db_session.commit()
    joint = svc.joint_key_of(db_session, cid)
    db_session.rollback()
    html = steward_client.get(f"/committees/{cid}").get_data(as_text=True)
    assert "not yet" not in html
    assert "Trustee 2 complained about the share dealer 1 sent it" in html
    assert "<strong>unfounded</strong> — share from dealer 1 to trustee 2 is valid" in html
    assert joint.election_key().hex() in html
    assert joint.verification_key(2).hex() in html
    assert "Finish the ceremony now" not in html
    trustee_client = make_logged_in_client("member", "trustee")[0]
    assert trustee_client.get(f"/committees/{cid}").status_code == 403
