"""Trustee committees through the services, with real crypto: whole ceremonies, every refusal, a
cheating dealer caught by a complaint, and the joint key equal to the pure ceremony's."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.members.models import Member, MemberStatus
from tests.conftest import count_rows, fetch_all, make_member, reload
from tests.voting.committee_helpers import NOW, announcement_payload, appoint, ceremony_of
from tests.voting.committee_helpers import announce_all as _announce_all
from tests.voting.committee_helpers import confirm_seat as _confirm
from tests.voting.committee_helpers import deal_payload as _deal
from tests.voting.committee_helpers import roster_of as _roster
from voting import NotPermitted
from voting.committees import ceremony as cs
from voting.committees import services as svc
from voting.committees.models import CeremonyMessage, CommitteeStatus, CommitteeTrustee, TrusteeCommittee
from voting.crypto import elgamal
from voting.crypto import trustees as T
from voting.trustees import client as tc
from voting.trustees.api import ceremony_state


@pytest.fixture
def steward(db_session):
    return make_member(db_session, "steward@example.org", roles=("member", "steward"))


def _pure_joint_key(session, committee):
    state = ceremony_state(session, committee, committee.trustees[0].member, all_shares=True)
    ceremony = ceremony_of(committee)
    roster = T.check_roster(ceremony, [T.Announcement.from_json(a) for a in state["announcements"]])
    return T.finalize_ceremony(ceremony, roster, [T.DealerCommitment.from_json(c) for c in state["commitments"]],
                               [T.EncryptedShare.from_json(s) for s in state["encrypted_shares"]],
                               [T.Complaint.from_json(c["complaint"]) for c in state["complaints"]])


def _run_ceremony(session, committee, seats):
    _announce_all(session, committee, seats)
    for seat in seats:
        cs.submit_dealing(session, committee.id, seat.member, _deal(session, committee, seat), now=NOW)
        session.commit()
    assert committee.status == CommitteeStatus.CONFIRMING
    for seat in seats:
        assert committee.status == CommitteeStatus.CONFIRMING
        assert _confirm(session, committee, seat).complaints_against == ()


def _shares_of(session, committee, seats):
    """Every trustee derives its key share as `dataguild trustee confirm` does."""
    out = {}
    for seat in seats:
        state = ceremony_state(session, committee, seat.member, all_shares=True)
        ceremony = ceremony_of(committee)
        roster = tc.checked_roster(ceremony, state, seat.secrets)
        joint = tc.checked_joint_key(ceremony, roster, state, state["encrypted_shares"])
        if seat.secrets.index in joint.committee:
            out[seat.secrets.index] = tc.derive_share(ceremony, seat.secrets, roster, state, joint)
    return out


def _decrypts(joint, secrets_by_index, subset, message=7):
    ct, _ = elgamal.encrypt(elgamal.ElectionKey(joint.election_key()), message)
    shares = [T.partial_decrypt(joint, secrets_by_index[j], ct) for j in subset]
    return T.combine_decryption_shares(joint, ct, shares, bound=20)


def test_a_3_of_5_ceremony_gives_the_pure_ceremonys_joint_key_and_any_3_trustees_decrypt(db_session, steward):
    committee, seats = appoint(db_session, steward, 5, 3)
    _run_ceremony(db_session, committee, seats)
    assert committee.status == CommitteeStatus.READY
    assert committee.ready_at is not None
    joint = svc.joint_key_of(db_session, committee.id)
    assert joint.to_json() == _pure_joint_key(db_session, committee).to_json()
    assert joint.committee == (1, 2, 3, 4, 5)
    assert dict(joint.disqualified) == {}
    assert [c.id for c in svc.ready_committees(db_session)] == [committee.id]
    summary = svc.committee_summary(db_session, committee.id)
    assert (summary["k"], summary["n"], summary["election_key"]) == (3, 5, joint.election_key().hex())
    assert [t["verification_key"] for t in summary["trustees"]] == [joint.verification_key(j).hex()
                                                                    for j in range(1, 6)]
    assert all(len(t["bls_public_key"]) == 96 and len(t["bls_pop"]) == 192 for t in summary["trustees"])
    keys = _shares_of(db_session, committee, seats)
    assert _decrypts(joint, keys, (1, 3, 5)) == 7
    assert _decrypts(joint, keys, (2, 3, 4), message=11) == 11
    db_session.rollback()  # end the read transaction before reading through another session
    actions = [a for a in fetch_all(db_session, select(AuditEntry.action).order_by(AuditEntry.seq))
               if a.startswith("committee.")]
    assert actions.count("committee.trustee_announced") == 5
    assert actions.count("committee.trustee_confirmed") == 5
    assert actions[0] == "committee.created"
    assert actions[-1] == "committee.ready"


def test_a_cheating_dealer_is_disqualified_through_a_complaint_and_a_false_complaint_is_recorded(db_session,
                                                                                                steward):
    committee, seats = appoint(db_session, steward, 3, 2, prefix="c")
    _announce_all(db_session, committee, seats)
    ceremony = ceremony_of(committee)
    cheat = _deal(db_session, committee, seats[0])
    roster = _roster(seats, committee)
    bad = T.encrypt_share(ceremony, seats[0].secrets, roster, 2, value=12345)  # signed, but not f_1(2)
    cheat["shares"] = [bad.to_json() if s["recipient"] == 2 else s for s in cheat["shares"]]
    cs.submit_dealing(db_session, committee.id, seats[0].member, cheat, now=NOW)  # the server cannot tell
    for seat in seats[1:]:
        cs.submit_dealing(db_session, committee.id, seat.member, _deal(db_session, committee, seat), now=NOW)
    db_session.commit()
    assert _confirm(db_session, committee, seats[1]).complaints_against == (1,)
    assert committee.trustees[0].disqualified_reason.startswith("upheld complaint of trustee 2")
    # trustee 3 falsely accuses dealer 2: the complaint is valid, the verdict says the share was good
    state = ceremony_state(db_session, committee, seats[2].member)
    share = next(T.EncryptedShare.from_json(s) for s in state["shares_to_me"] if s["dealer"] == 2)
    false = T.complain(ceremony, seats[2].secrets, roster, share)
    cs.submit_confirmation(db_session, committee.id, seats[2].member, {"complaints": [false.to_json()]}, now=NOW)
    db_session.commit()
    _confirm(db_session, committee, seats[0])
    rows = svc.complaint_rows(db_session, committee)
    assert [(r.dealer, r.recipient, r.upheld) for r in rows] == [(1, 2, True), (2, 3, False)]
    assert "is valid" in rows[1].verdict
    assert committee.status == CommitteeStatus.READY
    joint = svc.joint_key_of(db_session, committee.id)
    assert joint.committee == (2, 3)
    assert set(joint.disqualified) == {1}
    assert joint.to_json() == _pure_joint_key(db_session, committee).to_json()
    keys = _shares_of(db_session, committee, seats)
    assert set(keys) == {2, 3}
    assert _decrypts(joint, keys, (2, 3)) == 7


def test_too_few_qualified_dealers_fail_the_committee(db_session, steward):
    committee, seats = appoint(db_session, steward, 2, 2, prefix="f")
    _announce_all(db_session, committee, seats)
    cheat = _deal(db_session, committee, seats[0])
    cheat["shares"] = [T.encrypt_share(ceremony_of(committee), seats[0].secrets, _roster(seats, committee), 2,
                                       value=1).to_json()]
    cs.submit_dealing(db_session, committee.id, seats[0].member, cheat, now=NOW)
    cs.submit_dealing(db_session, committee.id, seats[1].member, _deal(db_session, committee, seats[1]), now=NOW)
    db_session.commit()
    _confirm(db_session, committee, seats[0])
    _confirm(db_session, committee, seats[1])
    assert committee.status == CommitteeStatus.FAILED
    assert committee.joint_key is None
    assert "only 1 of 2 trustees qualified" in committee.failure_reason
    with pytest.raises(svc.WrongStep):
        svc.joint_key_of(db_session, committee.id)
    assert svc.ready_committees(db_session) == []


def test_appointing_refusals_write_nothing(db_session, steward):
    trustees = [make_member(db_session, f"a{i}@example.org", roles=("member", "trustee")) for i in range(3)]
    plain = make_member(db_session, "plain@example.org", roles=("member",))
    ids = [t.id for t in trustees]
    cases = [
        ({"actor": plain, "name": "X", "member_ids": ids, "k": 2}, NotPermitted, None),
        ({"actor": steward, "name": "X", "member_ids": ids, "k": 4}, svc.CommitteeError, "k"),
        ({"actor": steward, "name": "X", "member_ids": ids, "k": 0}, svc.CommitteeError, "k"),
        ({"actor": steward, "name": "X", "member_ids": [*ids, ids[0]], "k": 2}, svc.CommitteeError, "trustees"),
        ({"actor": steward, "name": "X", "member_ids": [*ids, plain.id], "k": 2}, svc.CommitteeError, "trustees"),
        ({"actor": steward, "name": "X", "member_ids": [], "k": 1}, svc.CommitteeError, "trustees"),
        ({"actor": steward, "name": " ", "member_ids": ids, "k": 2}, svc.CommitteeError, "name"),
    ]
    for kwargs, error, field in cases:
        with pytest.raises(error) as info:
            svc.create_committee(db_session, now=NOW, **kwargs)
        assert field is None or field in info.value.errors
        db_session.rollback()
    trustees[1].status = MemberStatus.SUSPENDED
    db_session.commit()
    with pytest.raises(svc.CommitteeError, match="active member holding the trustee role"):
        svc.create_committee(db_session, actor=steward, name="X", member_ids=ids, k=2, now=NOW)
    db_session.rollback()
    assert count_rows(db_session, TrusteeCommittee) == 0
    assert count_rows(db_session, CommitteeTrustee) == 0
    committee = svc.create_committee(db_session, actor=steward, name="X", member_ids=[ids[0], ids[2]], k=2, now=NOW)
    db_session.commit()
    assert [t.trustee_index for t in committee.trustees] == [1, 2]
    assert len(committee.fingerprint) == 64
    with pytest.raises(svc.CommitteeError, match="already has this name"):
        svc.create_committee(db_session, actor=steward, name="X", member_ids=[ids[0]], k=1, now=NOW)


def _refused(session, call, error, match):
    with pytest.raises(error, match=match):
        call()
    session.rollback()


def test_announcement_refusals(db_session, steward):
    committee, seats = appoint(db_session, steward, 2, 1, prefix="r")
    outsider = make_member(db_session, "outsider@example.org", roles=("member", "trustee"))
    ceremony, cid = ceremony_of(committee), committee.id
    good = announcement_payload(ceremony, seats[0].secrets)

    def submit(member, payload):
        return lambda: cs.submit_announcement(db_session, cid, member, payload, now=NOW)

    def tampered(**changes):
        return {**good, "announcement": {**good["announcement"], **changes}}

    proof = good["announcement"]["proof"]
    _refused(db_session, submit(outsider, good), svc.NotATrustee, "not a trustee")
    _refused(db_session, submit(seats[1].member, good), svc.InvalidSubmission, "for trustee 1, but you are trustee 2")
    _refused(db_session, submit(seats[0].member, tampered(proof={**proof, "response": "00" * 32})),
             svc.InvalidSubmission, "announcement: invalid proof")
    _refused(db_session, submit(seats[0].member, tampered(signature="11" * 64)), svc.InvalidSubmission,
             "announcement: invalid signature")
    _refused(db_session, submit(seats[0].member, tampered(encryption_key="02" + "00" * 32)), svc.InvalidSubmission,
             "announcement: invalid point")
    _refused(db_session, submit(seats[0].member, {"announcement": good["announcement"]}), svc.InvalidSubmission,
             "exactly the keys")
    other_pop = announcement_payload(ceremony, seats[1].secrets)["bls_pop"]
    _refused(db_session, submit(seats[0].member, {**good, "bls_pop": other_pop}), svc.InvalidSubmission,
             "bls_pop: invalid signature")
    _refused(db_session, submit(seats[0].member, {**good, "bls_public_key": "ab" * 48}), svc.InvalidSubmission,
             "bls_public_key: malformed")
    assert all(t.announcement is None for t in fetch_all(db_session, select(CommitteeTrustee)))
    cs.submit_announcement(db_session, cid, seats[0].member, good, now=NOW)
    db_session.commit()
    _refused(db_session, submit(seats[0].member, good), svc.AlreadySubmitted, "already submitted")
    same_keys = replace(seats[0].secrets, index=2)
    _refused(db_session, submit(seats[1].member, announcement_payload(ceremony, same_keys)), svc.InvalidSubmission,
             "already announced the same key")
    _refused(db_session, lambda: cs.submit_dealing(db_session, cid, seats[0].member, {}, now=NOW), svc.WrongStep,
             "announcing step")
    assert committee.status == CommitteeStatus.ANNOUNCING


def test_dealing_and_confirmation_refusals_then_a_steward_finishes_the_stalled_ceremony(db_session, steward):
    committee, seats = appoint(db_session, steward, 3, 2, prefix="d")
    _announce_all(db_session, committee, seats)
    cid, one = committee.id, seats[0]
    good = _deal(db_session, committee, one)

    def submit(payload, seat=one):
        return lambda: cs.submit_dealing(db_session, cid, seat.member, payload, now=NOW)

    commitment = good["commitment"]
    _refused(db_session, submit(good, seats[1]), svc.InvalidSubmission, "dealer 1's, but you are trustee 2")
    bad_proof = {**commitment, "proofs": [commitment["proofs"][1], commitment["proofs"][0]]}
    _refused(db_session, submit({**good, "commitment": bad_proof}), svc.InvalidSubmission, "commitment: invalid")
    _refused(db_session, submit({**good, "shares": good["shares"][:1]}), svc.InvalidSubmission, "exactly one share")
    _refused(db_session, submit({**good, "shares": [good["shares"][0]] * 2}), svc.InvalidSubmission,
             "exactly one share")
    forged = [{**good["shares"][0], "signature": "22" * 64}, good["shares"][1]]
    _refused(db_session, submit({**good, "shares": forged}), svc.InvalidSubmission, r"shares\[0\]: invalid signature")
    _refused(db_session, lambda: cs.submit_confirmation(db_session, cid, one.member, {"complaints": []}, now=NOW),
             svc.WrongStep, "dealing step")
    assert count_rows(db_session, CeremonyMessage) == 0
    cs.submit_dealing(db_session, cid, one.member, good, now=NOW)
    db_session.commit()
    _refused(db_session, submit(good), svc.AlreadySubmitted, "already submitted your dealing")
    cs.submit_dealing(db_session, cid, seats[1].member, _deal(db_session, committee, seats[1]), now=NOW)
    db_session.commit()
    assert count_rows(db_session, CeremonyMessage) == 4
    assert committee.status == CommitteeStatus.DEALING
    _refused(db_session, lambda: cs.finish_now(db_session, cid, actor=one.member, now=NOW), NotPermitted, "stewards")
    cs.finish_now(db_session, cid, actor=steward, now=NOW)  # trustee 3 never dealt
    db_session.commit()
    assert committee.status == CommitteeStatus.READY
    joint = svc.joint_key_of(db_session, cid)
    assert joint.committee == (1, 2)
    assert joint.disqualified[3] == "no commitment"
    assert committee.trustees[2].disqualified_reason == "no commitment"
    _refused(db_session, lambda: cs.finish_now(db_session, cid, actor=steward, now=NOW), svc.WrongStep, "already over")


def test_invalid_complaints_are_refused_and_write_nothing(db_session, steward):
    committee, seats = appoint(db_session, steward, 2, 1, prefix="i")
    _announce_all(db_session, committee, seats)
    for seat in seats:
        cs.submit_dealing(db_session, committee.id, seat.member, _deal(db_session, committee, seat), now=NOW)
    db_session.commit()
    ceremony, roster = ceremony_of(committee), _roster(seats, committee)
    state = ceremony_state(db_session, committee, seats[1].member)
    share = T.EncryptedShare.from_json(state["shares_to_me"][0])
    complaint = T.complain(ceremony, seats[1].secrets, roster, share).to_json()

    def confirm(seat, complaints):
        return lambda: cs.submit_confirmation(db_session, committee.id, seat.member, {"complaints": complaints},
                                              now=NOW)

    _refused(db_session, confirm(seats[0], [complaint]), svc.InvalidSubmission, "complain about a share")
    forged = {**complaint, "proof": {**complaint["proof"], "response": "01" * 32}}
    _refused(db_session, confirm(seats[1], [forged]), svc.InvalidSubmission, r"complaints\[0\]: invalid")
    _refused(db_session, confirm(seats[1], [complaint, complaint]), svc.InvalidSubmission, "second complaint")
    _refused(db_session, confirm(seats[1], "none"), svc.InvalidSubmission, "must be a list")
    assert count_rows(db_session, CeremonyMessage) == 2
    assert committee.trustees[1].confirmed_at is None



def test_concurrent_announcements_each_count_and_the_step_advances_once(app, db_session, steward):
    committee, seats = appoint(db_session, steward, 2, 1, prefix="x")
    cid, ceremony = committee.id, ceremony_of(committee)
    payloads = [(seat.member.id, announcement_payload(ceremony, seat.secrets)) for seat in seats]
    db_session.rollback()
    barrier, failures = threading.Barrier(2), []

    def announce(member_id, payload):
        session = app.extensions["dataguild_db"].Session()
        try:
            barrier.wait()  # both submissions start together, each in its own transaction
            cs.submit_announcement(session, cid, session.get(Member, member_id), payload, now=NOW)
            session.commit()
        except Exception as exc:  # reported below, in the test's thread
            failures.append(exc)
        finally:
            session.close()

    threads = [threading.Thread(target=announce, args=args) for args in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    stored = reload(db_session, TrusteeCommittee, cid)
    assert stored.status == CommitteeStatus.DEALING
    assert count_rows(db_session, CommitteeTrustee, CommitteeTrustee.announcement.is_not(None)) == 2
