"""Elections in the demo cooperative (``dataguild demo``), played through the real services.

- A trustee committee of the three demo trustees (2 of 3) whose key ceremony runs with key material
  made here by the trustee-side code (:mod:`voting.trustees.client`, :mod:`voting.crypto.keyfile`),
  as ``dataguild trustee ...`` would on three computers: the services only see the public messages
  (the JSON of the trustee API, round-tripped through ``json``). The key files (with each trustee's
  key share, *without a passphrase*) and a personal API token per trustee are written to
  ``<instance>/demo-trustees/`` with a README, so that a visitor can count elections themselves.
- A finished secret one-member-one-vote election on a new data-use rule and a finished secret
  quadratic election on a new payout policy: ballots cast, re-cast and audited with
  :mod:`voting.elections.casting`, closed and decrypted by two trustees each with :mod:`voting.counting.services`; the
  outcomes are recorded and enacted by the real code path.
- Every demo proposal that :mod:`proposals.demo` left in voting (it cannot import voting) gets its
  election over its own window: those still open take ballots now (one of them is an open roll
  call), those whose window has ended get ballots, are closed, and wait for the trustees.

The content (texts, who votes how) is in :mod:`voting.demo.content`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.api.services import create_token
from governance.members.models import Member
from governance.sitecontext import as_utc
from proposals import lifecycle, services
from proposals.models import Proposal, ProposalState
from voting.committees import ceremony as cs
from voting.committees import services as svc
from voting.committees.models import TrusteeCommittee
from voting.counting import services as counting
from voting.crypto.keyfile import TrusteeSecrets, dump_keyfile, generate_trustee
from voting.demo import content
from voting.elections import board, client
from voting.elections.casting import audit_ballot, cast_ballot
from voting.elections.models import Election, ElectionState, Secrecy
from voting.elections.panel import open_election
from voting.elections.services import create_election, election_of, roll_entry_of
from voting.trustees import client as tc
from voting.trustees import decrypt as tcount
from voting.trustees.cli import write_keyfile

TRUSTEE_DIR = "demo-trustees"
COMMITTEE_NAME = "Demo trustees"


@dataclass
class DemoTrustee:
    index: int
    member: Member
    secrets: TrusteeSecrets  # the trustee's own key material: never handed to a server-side service


@dataclass(frozen=True)
class DemoElections:
    """What the demo seeded."""

    committee: TrusteeCommittee
    finished: list[Election]
    open: list[Election]
    waiting: list[Election]            # closed, waiting for the trustees' decryptions
    trustee_dir: Path | None


def _wire(data: Any) -> Any:
    """What the other side receives: the JSON of a request or response, nothing else."""
    return json.loads(json.dumps(data))


# ---------------------------------------------------------------- the committee and its ceremony


def _ceremony_state(session: Session, committee: TrusteeCommittee, member: Member, **kwargs: Any) -> dict[str, Any]:
    from voting.trustees.api import ceremony_state  # GET /api/v1/trustee/committees/<id>

    return _wire(ceremony_state(session, committee, member, **kwargs))


def appoint_demo_committee(session: Session, *, members: Mapping[str, Member], now: datetime) -> tuple[
        TrusteeCommittee, list[DemoTrustee]]:
    """The 2-of-3 committee of the demo trustees, its ceremony run step by step on ``now``'s day."""
    people = [members[f"trustee{i}"] for i in (1, 2, 3)]
    committee = svc.create_committee(session, actor=members["steward"], name=COMMITTEE_NAME,
                                     member_ids=[m.id for m in people], k=2, now=now)
    trustees = []
    for step, member in enumerate(people):  # 1. each trustee makes a key file and announces
        state = _ceremony_state(session, committee, member)
        ceremony = tc.ceremony_of_state(state)
        secrets = tc.bind_to_ceremony(generate_trustee(1), ceremony, tc.my_index(state))
        cs.submit_announcement(session, committee.id, member, _wire(tc.announcement_payload(ceremony, secrets)),
                               now=now + timedelta(hours=1, minutes=20 * step))
        trustees.append(DemoTrustee(secrets.index, member, secrets))
    for step, trustee in enumerate(trustees):  # 2. deal
        state = _ceremony_state(session, committee, trustee.member)
        ceremony = tc.ceremony_of_state(state)
        roster = tc.checked_roster(ceremony, state, trustee.secrets)
        trustee.secrets, payload = tc.dealing_payload(ceremony, trustee.secrets, roster)
        cs.submit_dealing(session, committee.id, trustee.member, _wire(payload),
                          now=now + timedelta(hours=5, minutes=30 * step))
    for step, trustee in enumerate(trustees):  # 3. confirm
        state = _ceremony_state(session, committee, trustee.member)
        ceremony = tc.ceremony_of_state(state)
        roster = tc.checked_roster(ceremony, state, trustee.secrets)
        confirmation = tc.confirmation_payload(ceremony, trustee.secrets, roster, state)
        cs.submit_confirmation(session, committee.id, trustee.member, _wire(confirmation.payload),
                               now=now + timedelta(hours=20, minutes=15 * step))
    for trustee in trustees:  # 4. once ready, each stores its key share (the joint key recomputed on its side)
        state = _ceremony_state(session, committee, trustee.member, all_shares=True)
        ceremony = tc.ceremony_of_state(state)
        roster = tc.checked_roster(ceremony, state, trustee.secrets)
        joint = tc.checked_joint_key(ceremony, roster, state, state["encrypted_shares"])
        trustee.secrets = tc.derive_share(ceremony, trustee.secrets, roster, state, joint)
    return committee, trustees


# ---------------------------------------------------------------- casting


def _cast(session: Session, election: Election, member: Member, choices: list[list[int]], now: datetime) -> None:
    """Cast as a member's device does: a secret ballot is encrypted by the voter's client code
    (``voting.elections.client``, the Python twin of the ballot page's JavaScript), never by the server."""
    entry = roll_entry_of(session, election, member)
    assert entry is not None, f"{member.email} is not on the roll of election {election.id}"
    if election.secrecy == Secrecy.SECRET:
        cast_ballot(session, election, member, ballot=client.prepare(election.manifest, choices).to_json(),
                    expected_previous=entry.ballots_cast, now=now)
    else:
        cast_ballot(session, election, member, choices=choices, expected_previous=entry.ballots_cast, now=now)


def _audit(session: Session, election: Election, member: Member, choices: list[list[int]], now: datetime) -> None:
    prepared = client.prepare(election.manifest, choices)
    audit_ballot(session, election, member, ballot=prepared.to_json(), reveal=prepared.reveal(), now=now)


def cast_votes(session: Session, election: Election, members: Mapping[str, Member],
               votes: Sequence[content.Vote], *, start: datetime) -> None:
    """Cast ``votes`` from ``start`` in bursts of eight a few seconds apart, ``BURST_HOURS`` apart;
    a re-vote comes at the end of the next burst. (The board signs a tree head when a cast doubles
    the board or finds the latest head six hours old, see ``voting.elections.board``.) Everything is posted in
    time order, so the board's times only go forward."""
    steps: list[tuple[datetime, int, Callable[[datetime], object]]] = []
    for i, vote in enumerate(votes):
        burst = start + timedelta(hours=content.BURST_HOURS * (i // 8))
        when = burst + timedelta(seconds=6 * (i % 8))
        member = members[vote.voter]
        if vote.audit_first is not None:
            steps.append((when - timedelta(seconds=5), len(steps), lambda at, m=member, c=vote.audit_first:
                          _audit(session, election, m, [list(c)], at)))
        steps.append((when, len(steps),
                      lambda at, m=member, c=vote.choices: _cast(session, election, m, [list(c)], at)))
        if vote.then is not None:  # changed their mind later that day
            steps.append((burst + timedelta(hours=content.BURST_HOURS, seconds=50), len(steps),
                          lambda at, m=member, c=vote.then: _cast(session, election, m, [list(c)], at)))
    for when, _order, step in sorted(steps, key=lambda s: (s[0], s[1])):
        step(when)


# ---------------------------------------------------------------- counting, on the trustees' side


def _counting_state(session: Session, election: Election, member: Member) -> dict[str, Any]:
    from voting.trustees.api import counting_state  # GET /api/v1/trustee/elections/<id>/tally

    return _wire(counting_state(session, election, member))


def _board_json(session: Session, election: Election) -> list[dict[str, Any]]:
    return _wire([board.entry_json(election, entry, alias) for entry, alias in board.board_entries(session, election)])


def trustee_decrypts(session: Session, election: Election, trustee: DemoTrustee, *, now: datetime) -> None:
    """What ``dataguild trustee decrypt`` does before the decision: check the tally against the board,
    then post the partial decryptions."""
    state = _counting_state(session, election, trustee.member)
    joint = tcount.checked_joint_key(state, trustee.secrets)
    document = tcount.recomputed_tally(state, _board_json(session, election))
    payload = _wire(tcount.decryption_payload(state, trustee.secrets, joint, document))
    counting.submit_decryption(session, election, trustee.member, trustee_index=payload["trustee_index"],
                               shares_json=payload["shares"], now=now)


def trustee_signs(session: Session, election: Election, trustee: DemoTrustee, *, now: datetime) -> None:
    """What ``dataguild trustee decrypt`` does after the decision: recombine, compare, co-sign."""
    state = _counting_state(session, election, trustee.member)
    joint = tcount.checked_joint_key(state, trustee.secrets)
    result = tcount.checked_result(state, joint, tcount.recomputed_tally(state, _board_json(session, election)))
    payload = _wire(tcount.signature_payload(trustee.secrets, result))
    counting.sign_result(session, election, trustee.member, trustee_index=payload["trustee_index"],
                         signature_hex=payload["signature"], now=now)


def count_with(session: Session, election: Election, pair: tuple[DemoTrustee, DemoTrustee], *,
               closes: datetime) -> None:
    """Close after the window (as ``dataguild count`` would), then two trustees decrypt and sign."""
    counting.close_election(session, election, now=closes + timedelta(minutes=5))
    first, second = pair
    trustee_decrypts(session, election, first, now=closes + timedelta(hours=2))
    trustee_decrypts(session, election, second, now=closes + timedelta(hours=3))
    assert election.state == ElectionState.DECIDED
    trustee_signs(session, election, second, now=closes + timedelta(hours=3, minutes=2))
    trustee_signs(session, election, first, now=closes + timedelta(hours=4))


# ---------------------------------------------------------------- the finished elections


def play_decided(session: Session, story: content.ElectionStory, *, members: Mapping[str, Member],
                 committee: TrusteeCommittee, pair: tuple[DemoTrustee, DemoTrustee], now: datetime,
                 base_url: str | None, cooperative_name: str) -> Election:
    """A new proposal drafted, discussed, sponsored, voted on in secret and counted, all in the past."""
    opens = now - story.opens_ago
    closes = opens + story.window
    published = opens - story.discussion
    author, steward = members[story.author], members["steward"]
    proposal = services.create_draft(session, actor=author, kind=story.kind, title=story.title,
                                     summary=story.summary, body=story.body, now=published - timedelta(days=1))
    lifecycle.publish(session, proposal, actor=author, now=published, base_url=base_url)
    for i, (who, text) in enumerate(story.comments):
        services.add_comment(session, proposal, actor=members[who], text=text,
                             now=published + timedelta(days=1 + i, hours=3))
    for i, who in enumerate(story.sponsors):
        services.sponsor(session, proposal, actor=members[who], now=published + timedelta(days=2, hours=i))
    election = open_election(session, proposal, actor=steward, now=opens, secrecy=Secrecy.SECRET,
                             committee_id=committee.id, closes_at=closes, base_url=base_url,
                             cooperative_name=cooperative_name)
    cast_votes(session, election, members, story.votes, start=opens + timedelta(hours=2))
    count_with(session, election, pair, closes=closes)
    decided = ProposalState(proposal.state)
    assert decided == story.outcome, f"{story.title}: the count gave {decided.value}, not {story.outcome.value}"
    return election


# ---------------------------------------------------------------- the proposals proposals.demo left in voting


def _in_voting(session: Session) -> list[Proposal]:
    return list(session.execute(select(Proposal).where(Proposal.state == ProposalState.VOTING)
                                .order_by(Proposal.id)).scalars())


def give_elections(session: Session, *, members: Mapping[str, Member], committee: TrusteeCommittee, now: datetime,
                   cooperative_name: str) -> tuple[list[Election], list[Election]]:
    """Each demo proposal in voting gets its election over its own window, opened by the steward when
    voting opened; returns (still open, closed and waiting for the trustees)."""
    key = svc.joint_key_of(session, committee.id).election_key().hex()
    summary = svc.committee_summary(session, committee.id)
    still_open, waiting = [], []
    for proposal in _in_voting(session):
        if election_of(session, proposal.id) is not None:
            continue
        secret = proposal.title not in content.ROLL_CALLS
        opened = as_utc(proposal.voting_opened_at)
        election = create_election(session, proposal, actor=members["steward"], now=opened,
                                   secrecy=Secrecy.SECRET if secret else Secrecy.OPEN,
                                   election_key_hex=key if secret else None,
                                   committee_id=committee.id if secret else None,
                                   committee_summary=summary if secret else None, cooperative_name=cooperative_name)
        votes = content.votes_for(election.manifest["questions"][0], secret=secret,
                                  ended=as_utc(election.closes_at) <= now, offset=5 * len(still_open + waiting))
        cast_votes(session, election, members, votes, start=opened + timedelta(hours=3))
        if as_utc(election.closes_at) <= now:
            counting.close_election(session, election, now=as_utc(election.closes_at) + timedelta(minutes=5))
            waiting.append(election)
        else:
            still_open.append(election)
    return still_open, waiting


# ---------------------------------------------------------------- files for the visitor


def write_trustee_files(session: Session, directory: Path, trustees: Sequence[DemoTrustee], *,
                        waiting: Sequence[Election], base_url: str, now: datetime) -> None:
    """The key files (no passphrase: demo only), a personal token per trustee and the README."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    for trustee in trustees:
        _row, token = create_token(session, member=trustee.member, label="demo (token file in the instance folder)",
                                   scopes=["trustee"], lifetime_days=365, now=now)
        write_keyfile(directory / f"trustee-{trustee.index}.json", dump_keyfile(trustee.secrets, None), backup=False)
        write_keyfile(directory / f"token-{trustee.index}.txt", token + "\n", backup=False)
    titles = {e.id: e.manifest["proposal"]["title"] for e in waiting}
    readme = content.trustee_readme(directory=directory, base_url=base_url, waiting=titles,
                                    trustees=[(t.index, t.member.email, t.member.name) for t in trustees])
    (directory / "README.txt").write_text(readme, encoding="utf-8")


# ---------------------------------------------------------------- the whole demo


def seed_elections(session: Session, *, members: Mapping[str, Member], now: datetime,
                   instance_path: str | Path | None, base_url: str | None,
                   cooperative_name: str) -> DemoElections:
    """Seed the demo's committee and elections (after ``proposals.demo.seed_proposals``, before the
    payouts: the quadratic election enacts the payout policy they use). Writes the trustees' files
    under ``<instance_path>/demo-trustees/`` unless ``instance_path`` is None."""
    committee, trustees = appoint_demo_committee(session, members=members, now=now - timedelta(days=30))
    first, second, third = trustees
    finished = [
        play_decided(session, content.secret_rule_story(), members=members, committee=committee, pair=(first, third),
                     now=now, base_url=base_url, cooperative_name=cooperative_name),
        play_decided(session, content.quadratic_payout_story(), members=members, committee=committee,
                     pair=(first, second), now=now, base_url=base_url, cooperative_name=cooperative_name),
    ]
    still_open, waiting = give_elections(session, members=members, committee=committee, now=now,
                                         cooperative_name=cooperative_name)
    directory = Path(instance_path) / TRUSTEE_DIR if instance_path is not None else None
    if directory is not None:
        write_trustee_files(session, directory, trustees, waiting=waiting,
                            base_url=base_url or "http://127.0.0.1:5000", now=now)
    session.flush()
    return DemoElections(committee, finished, still_open, waiting, directory)


def where_to_look(session: Session, instance_path: str | Path) -> list[str]:
    """Lines for the demo's start message: where its elections and the trustees' files are."""
    elections = list(session.execute(select(Election).order_by(Election.id)).scalars())
    if not elections:
        return []

    def places(state: ElectionState) -> str:
        return ", ".join(f"/elections/{e.id}" for e in elections if e.state == state) or "none"

    directory = Path(instance_path) / TRUSTEE_DIR
    lines = [f"Elections: decided at {places(ElectionState.DECIDED)} (results at /elections/<id>/result); open "
             f"now at {places(ElectionState.OPEN)} (sign in as member@demo.coop to vote, audit a ballot, re-vote "
             f"and check the receipt); waiting for the trustees at {places(ElectionState.TALLYING)}."]
    if directory.is_dir():
        lines.append(f"Demo trustee key files and tokens (no passphrase, demo only): {directory}; "
                     f"{directory / 'README.txt'} says how to count with `dataguild trustee decrypt`.")
    return lines
