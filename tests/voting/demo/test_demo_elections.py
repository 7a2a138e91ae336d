"""The demo cooperative's elections (``voting.demo.elections``): a ready 2-of-3 committee whose key files a visitor
gets, a decided secret election and a decided quadratic one (certified, outcomes recorded and
enacted), an election for every proposal in voting, a visitor voting through the real forms, and a
visitor counting a waiting election with the demo trustees' files and ``dataguild trustee decrypt``
against a live server."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from governance.auth.passwords import password_hasher
from governance.operations.demo import DEMO_PASSWORD, demo_email, seed_demo
from governance.policy.services import current_payout_formula, current_rules
from governance.sitecontext import SiteSettings, as_utc
from proposals.models import Proposal, ProposalState
from tests.conftest import login, reload
from tests.voting.elections.test_ballot_web import main_html
from tests.voting.factories import device
from tests.voting.trustees.test_trustee_cli import site  # noqa: F401 - the live-server fixture
from voting.committees.services import ready_committees
from voting.crypto.keyfile import load_keyfile
from voting.demo.elections import TRUSTEE_DIR
from voting.elections.models import BoardEntry, Election, ElectionState, EntryKind, Secrecy
from voting.elections.services import election_of
from voting.record import canonical as record
from voting.record import tally
from voting.trustees.cli import trustee_cli

S = ProposalState


@pytest.fixture
def demo(app, db_session, tmp_path):
    site_settings = SiteSettings.from_config(app.config)
    assert seed_demo(db_session, hasher=password_hasher({"ENV_NAME": "test"}), site=site_settings,
                     instance_path=tmp_path)
    db_session.commit()
    return db_session


def board_of(session, election_id: int) -> list[BoardEntry]:
    return list(session.execute(select(BoardEntry).where(BoardEntry.election_id == election_id)
                                .order_by(BoardEntry.leaf_index)).scalars())


def _proposal(session, title: str) -> Proposal:
    return session.execute(select(Proposal).where(Proposal.title == title)).scalar_one()


def _decided(session, title: str, signers: list[int]) -> tuple[Proposal, Election]:
    proposal = _proposal(session, title)
    election = election_of(session, proposal.id)
    assert election is not None
    assert (election.state, election.secrecy) == (ElectionState.DECIDED, Secrecy.SECRET)
    tally.verify_certificate(election.manifest, election.result, election.result_certificate)
    certificate = election.result_certificate
    assert (certificate["kind"], certificate["decrypted_by"], certificate["signers"]) == ("trustees", signers, signers)
    assert proposal.state == S.ADOPTED
    assert proposal.outcome["election_id"] == election.id
    assert proposal.enacted_at is not None
    kinds = [(entry.kind, entry.superseded_by is not None) for entry in board_of(session, election.id)]
    assert (EntryKind.AUDITED, False) in kinds   # a voter audited a ballot before casting
    assert (EntryKind.CAST, True) in kinds       # a re-vote superseded an earlier cast
    return proposal, election


def test_committee_decided_elections_elections_in_voting_files_and_a_visitors_ballot(app, demo, tmp_path):
    [committee] = ready_committees(demo)
    assert (committee.name, committee.k, committee.n) == ("Demo trustees", 2, 3)
    assert sorted(t.member.email for t in committee.trustees) == [demo_email(f"trustee{i}") for i in (1, 2, 3)]

    _rule, rule_election = _decided(demo, "No AI training on our work data", [1, 3])
    assert rule_election.method == "one_member_one_vote"
    assert "no-ai-training-work-data" in [r.id for r in current_rules(demo)]
    _payout, payout_election = _decided(demo, "Count days worked, not only records", [1, 2])
    assert payout_election.method == "quadratic"
    assert payout_election.manifest["questions"][0]["kind"] == "quadratic"
    assert current_payout_formula(demo).label == "Half equal, half by active days"  # the winner, enacted

    # Every proposal in voting has its election over its own window: open ones take ballots, the
    # others are closed with their encrypted tally posted, waiting for the trustees.
    now = datetime.now(UTC)
    in_voting = list(demo.execute(select(Proposal).where(Proposal.state == S.VOTING)).scalars())
    elections = [election_of(demo, p.id) for p in in_voting]
    assert in_voting
    assert None not in elections
    for proposal, election in zip(in_voting, elections, strict=True):
        assert election.closes_at == proposal.voting_closes_at.replace(microsecond=0)
        ended = as_utc(election.closes_at) <= now
        assert election.state == (ElectionState.TALLYING if ended else ElectionState.OPEN), proposal.title
        assert any(e.kind == EntryKind.CAST for e in board_of(demo, election.id)), proposal.title
    assert {e.secrecy for e in elections if e.state == ElectionState.OPEN} == {Secrecy.SECRET, Secrecy.OPEN}
    assert sum(e.state == ElectionState.TALLYING for e in elections) >= 1

    # The trustees' files: unencrypted key files holding key shares (owner-only), tokens, a README.
    directory = tmp_path / TRUSTEE_DIR
    for j in (1, 2, 3):
        key_file = directory / f"trustee-{j}.json"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert json.loads(key_file.read_text())["encryption"] == "none"
        secrets = load_keyfile(key_file.read_text())  # no passphrase needed
        assert secrets.index == j
        assert secrets.share is not None
        assert secrets.fingerprint == bytes.fromhex(committee.fingerprint)
        assert (directory / f"token-{j}.txt").read_text().startswith("dgp_")
    readme = (directory / "README.txt").read_text()
    assert "dataguild trustee decrypt --site" in readme
    assert "DEMO ONLY" in readme
    for election in elections:
        assert (f"election {election.id}:" in readme) is (election.state == ElectionState.TALLYING)

    # A visitor signed in as member@demo.coop audits a ballot, votes, and checks the receipt.
    deal = _proposal(demo, "Deal: University of Lisbon, platform fee study")
    open_election = election_of(demo, deal.id)
    eid, fingerprint = open_election.id, open_election.fingerprint
    receipt_key = open_election.manifest["receipt_public_key"]
    demo.rollback()  # SQLite: end the reading transaction before the requests write
    browser = app.test_client()
    login(browser, demo_email("member"), DEMO_PASSWORD)
    ballot_path = f"/elections/{eid}/ballot"
    assert fingerprint in main_html(browser.get(ballot_path))
    audited, _ = device(browser, eid, [[0, 1, 0]], action="audit")  # as the page's script does it
    assert audited.status_code == 200, audited.get_data(as_text=True)
    assert f"/elections/{eid}/audited/" in audited.get_json()["url"]
    assert browser.get(audited.get_json()["url"]).status_code == 200
    cast, prepared = device(browser, eid, [[1, 0, 0]])
    assert cast.status_code == 200, cast.get_data(as_text=True)
    tracking_code = cast.get_json()["url"].rsplit("/", 1)[1]
    assert tracking_code == prepared.tracking_code
    demo.rollback()
    entries = board_of(demo, eid)
    assert [e.kind for e in entries[-2:]] == [EntryKind.AUDITED, EntryKind.CAST]
    demo.rollback()
    receipt = record.Receipt.from_json(json.loads(browser.get(f"/elections/{eid}/receipts/{tracking_code}.json").data))
    record.verify_receipt(receipt, receipt_key)
    assert receipt.leaf_index == entries[-1].leaf_index


def _decrypt(site_url: str, directory: Path, trustee: int, election_id: int) -> str:
    token = (directory / f"token-{trustee}.txt").read_text().strip()
    result = CliRunner().invoke(trustee_cli, ["decrypt", "--site", site_url, "--token", token, "--key",
                                              str(directory / f"trustee-{trustee}.json"), "--election",
                                              str(election_id)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_visitor_counts_a_waiting_election_with_the_demo_trustee_files(demo, site, tmp_path):  # noqa: F811
    proposal = _proposal(demo, "Let non-profits analyse the working-conditions survey")
    election = election_of(demo, proposal.id)
    assert election.state == ElectionState.TALLYING
    eid, pid = election.id, proposal.id
    demo.rollback()
    directory = tmp_path / TRUSTEE_DIR

    assert "Waiting for 1 more trustee(s)" in _decrypt(site, directory, 1, eid)
    second = _decrypt(site, directory, 2, eid)
    assert "Result checked here from the posted shares" in second
    assert "certificate now has the signatures of trustee(s) [2]" in second
    assert "[1, 2]" in _decrypt(site, directory, 1, eid)

    election = reload(demo, Election, eid)
    assert election.state == ElectionState.DECIDED
    tally.verify_certificate(election.manifest, election.result, election.result_certificate)
    assert election.result_certificate["signers"] == [1, 2]
    decided = reload(demo, Proposal, pid)
    assert decided.state == S.ADOPTED
    assert decided.outcome["election_id"] == eid
    demo.rollback()
    assert "ngo-survey-analysis" in [r.id for r in current_rules(demo)]  # enacted by the visitor's count
