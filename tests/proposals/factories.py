"""Proposals of every kind in every state, made through the real services (no rows written by hand).

Typical use::

    steward = seed_governance(db_session)                 # constitution, datasets, a steward
    author = new_member(db_session, "member")
    proposal = make_proposal(db_session, author, kind="deal_approval", state=ProposalState.VOTING)
    db_session.commit()

``now`` is the moment at which the proposal is in the requested state; its history (drafted,
published, voting opened, ...) lies in the past, far enough back for every kind's minimum discussion
and voting periods of the default constitution.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from governance.constitution.services import rules_for, seed_defaults
from governance.members.models import Member
from governance.members.services import add_member, parse_roles
from governance.policy.services import add_dataset, dataset_slugs
from proposals import lifecycle, services
from proposals.lifecycle import VoteResult
from proposals.models import Proposal, ProposalState

S = ProposalState
KINDS = ("data_use_rule", "deal_approval", "payout_policy", "bylaw_change")
EXAMPLE_DATASETS = {"ride-logs": "Ride logs", "health-survey": "Health survey answers"}
GENAI = "train_generative_model"
RESEARCH = "https://w3id.org/dpv#AcademicResearch"
COMMERCIAL_RESEARCH = "https://w3id.org/dpv#CommercialResearch"

#: How far back each step lies from ``now`` (enough for 14 days of discussion and 10 of voting).
DRAFTED_AGO = timedelta(days=40)
PUBLISHED_AGO = timedelta(days=39)
VOTING_OPENED_AGO = timedelta(days=2)          # for state VOTING: still open at ``now``
VOTING_CLOSED_OPENED_AGO = timedelta(days=20)  # for later states: the window has ended before ``now``
COUNTING_AGO = timedelta(hours=1)

_counter = itertools.count(1)


def new_member(session: Session, *roles: str, name: str | None = None, now: datetime | None = None) -> Member:
    """An active member with ``roles`` (default: member), added through the members service
    (active from ``now``, default the real clock)."""
    n = next(_counter)
    roles = roles or ("member",)
    return add_member(session, actor=None, email=f"{'-'.join(roles)}-{n}@factory.example.org",
                      name=name or f"{roles[0].capitalize()} {n}", roles=parse_roles(roles),
                      password_hash="not-a-real-hash", now=now)


def seed_governance(session: Session, *, datasets: dict[str, str] | None = None) -> Member:
    """Adopt the default constitution, add the example datasets (if missing) and return a new steward."""
    seed_defaults(session)
    present = dataset_slugs(session)
    for slug, title in (datasets or EXAMPLE_DATASETS).items():
        if slug not in present:
            add_dataset(session, actor=None, slug=slug, title=title, description=f"Example dataset {title}.",
                        category="example")
    return new_member(session, "member", "steward")


def example_rule(rule_id: str = "no-genai-training", *, datasets: Sequence[str] = ("*",), action: str = GENAI,
                 effect: str = "prohibition", purposes: Sequence[str] = ()) -> dict[str, Any]:
    return {"id": rule_id, "effect": effect, "datasets": sorted(datasets), "action": action, "assignee": None,
            "purposes": sorted(purposes),
            "constraints": {"min_cohort_size": None, "retention_days": None, "not_before": None, "not_after": None,
                            "regions": []},
            "duties": [], "description": f"Example rule {rule_id}."}


def allow_example_deals(session: Session, *, datasets: Sequence[str] = ("*",), action: str = "aggregate",
                        rule_id: str = "allow-research-aggregation", now: datetime | None = None) -> None:
    """Adopt (directly in the policy store, no proposal) a permission under which the example deal
    has no conflicts: without any permission every deal is "not permitted"."""
    from governance.policy.services import current_rules, enact_rule_changes
    from governance.policy.terms.bodies import DataUseRuleBody
    from governance.policy.terms.parsing import from_json

    if any(rule.id == rule_id for rule in current_rules(session)):
        return
    body = {"changes": [{"op": "add", "rule": example_rule(rule_id, datasets=datasets, action=action,
                                                          effect="permission", purposes=[RESEARCH])}]}
    enact_rule_changes(session, actor=None, body=from_json(DataUseRuleBody, body), proposal_id=None, now=now)


def example_deal(*, datasets: Sequence[str] = ("ride-logs",), action: str = "aggregate",
                 purposes: Sequence[str] = (RESEARCH,), price: str = "12000.00") -> dict[str, Any]:
    return {
        "counterparty": {"name": "Example University", "identifier": "https://university.example.org",
                         "contact": "data-office@university.example.org", "category": "academic"},
        "datasets": sorted(datasets),
        "permitted": [{"action": action, "purposes": sorted(purposes)}],
        "prohibited_actions": ["sell"] if action != "sell" else [],
        "price": price, "currency": "EUR", "payment_schedule": "once",
        "start_date": "2027-01-01", "end_date": "2027-12-31",
        "retention_days": 365, "min_cohort_size": 50, "reporting_every_days": 90, "audit": True,
        "notes": "Example deal.",
    }


def example_formula(label: str = "Equal split", method: str = "equal") -> dict[str, Any]:
    return {"label": label, "method": method, "equal_fraction": "0.50" if method == "hybrid" else None,
            "metric": None if method == "equal" else "records_contributed",
            "reserve_fraction": "0.10", "operating_cost_fraction": "0.05", "minimum_per_member": "0.00",
            "rounding": "cent_remainder_to_reserve"}


def example_body(kind: str, datasets: Sequence[str] = ("ride-logs",), *, variant: int = 0,
                 rule_id: str | None = None) -> dict[str, Any]:
    """A valid body of ``kind`` naming ``datasets`` (which must be in the catalogue). ``variant``
    (0..5) gives a different valid body of the same kind (for edits and amendments); ``rule_id``
    names the rule a data-use body adds."""
    if kind == "data_use_rule":
        rule_id = rule_id or f"no-genai-training{'-' + str(variant) if variant else ''}"
        rule = example_rule(rule_id, datasets=datasets)
        return {"changes": [{"op": "add", "rule": rule}]}
    if kind == "deal_approval":
        return example_deal(datasets=datasets, price=f"{12000 + 1000 * variant}.00")
    if kind == "payout_policy":
        alternatives = [example_formula("Equal split", "equal"), example_formula("Pro rata", "pro_rata")]
        if variant:
            alternatives.append(example_formula(f"Hybrid {variant}", "hybrid"))
        return {"alternatives": alternatives}
    if kind == "bylaw_change":
        return {"changes": {"data_use_rule": {"min_sponsors": 3 + variant}}}
    raise ValueError(f"unknown kind {kind!r}")


def adopted_result(proposal: Proposal, electorate: int = 10) -> VoteResult:
    """A tally that adopts ``proposal`` under the default constitution (first alternative wins)."""
    count = len(proposal.latest.body.get("alternatives", [])) if proposal.kind == "payout_policy" else 0
    scores = tuple(electorate if i == 0 else 0 for i in range(count)) if count >= 2 else ()
    return VoteResult(electorate_size=electorate, turnout=electorate, yes=electorate, scores=scores)


def rejected_result(proposal: Proposal, electorate: int = 10) -> VoteResult:
    count = len(proposal.latest.body.get("alternatives", [])) if proposal.kind == "payout_policy" else 0
    scores = tuple(3 for _ in range(count)) if count >= 2 else ()  # a tie at the top keeps the status quo
    return VoteResult(electorate_size=electorate, turnout=electorate, yes=2, no=8, scores=scores)


def no_quorum_result(proposal: Proposal, electorate: int = 10) -> VoteResult:
    count = len(proposal.latest.body.get("alternatives", [])) if proposal.kind == "payout_policy" else 0
    scores = tuple(0 for _ in range(count)) if count >= 2 else ()
    return VoteResult(electorate_size=electorate, turnout=0, scores=scores)


_RESULTS = {S.ADOPTED: adopted_result, S.REJECTED: rejected_result, S.NO_QUORUM: no_quorum_result}


def add_sponsors(session: Session, proposal: Proposal, count: int, *, now: datetime) -> list[Member]:
    sponsors = [new_member(session, "member") for _ in range(count)]
    for member in sponsors:
        services.sponsor(session, proposal, actor=member, now=now)
    return sponsors


def make_proposal(session: Session, author: Member, kind: str = "data_use_rule",
                  state: ProposalState | str = S.DISCUSSION, *, now: datetime | None = None,
                  body: dict[str, Any] | None = None, title: str | None = None, summary: str = "",
                  steward: Member | None = None, datasets: Sequence[str] = ("ride-logs",),
                  result: VoteResult | None = None, base_url: str = "http://localhost") -> Proposal:
    """A proposal of ``kind`` in ``state`` at ``now``, taken there through the real lifecycle. Needs
    the constitution and datasets (:func:`seed_governance`). Sponsors and a steward are created as
    needed. Does not commit."""
    state = S(state)
    now = now or datetime.now(UTC)
    seed_defaults(session)
    n = next(_counter)
    title = title or f"Example {kind.replace('_', ' ')} {n}"
    if body is None:  # distinct rule ids, so that several adopted example proposals never collide
        body = example_body(kind, datasets, rule_id=f"example-rule-{n}")
        if kind == "deal_approval":
            allow_example_deals(session)
    proposal = services.create_draft(session, actor=author, kind=kind, title=title, summary=summary, body=body,
                                     now=now - DRAFTED_AGO)
    if state == S.DRAFT:
        return proposal
    steward = steward or new_member(session, "member", "steward")
    lifecycle.publish(session, proposal, actor=author, now=now - PUBLISHED_AGO, base_url=base_url)
    if state == S.DISCUSSION:
        return proposal
    if state == S.WITHDRAWN:
        lifecycle.withdraw(session, proposal, actor=author, reason="Changed my mind", now=now)
        return proposal
    if state == S.CANCELLED:
        lifecycle.cancel(session, proposal, actor=steward, reason="Duplicate of another proposal", now=now)
        return proposal
    rules = rules_for(session, kind)
    add_sponsors(session, proposal, rules.min_sponsors, now=now - PUBLISHED_AGO + timedelta(hours=1))
    opened = now - (VOTING_OPENED_AGO if state == S.VOTING else VOTING_CLOSED_OPENED_AGO)
    lifecycle.open_voting(session, proposal, actor=steward, now=opened, base_url=base_url)
    if state == S.VOTING:
        return proposal
    lifecycle.begin_counting(session, proposal, now=now - COUNTING_AGO)
    if state == S.COUNTING:
        return proposal
    result = result or _RESULTS[state](proposal)
    lifecycle.record_outcome(session, proposal, result, now=now, base_url=base_url)
    assert proposal.state == state, f"the tally gave {proposal.state}, not {state}"
    return proposal


@dataclass
class World:
    """A seeded cooperative: a steward, an author, another member and an observer."""

    session: Session
    steward: Member
    author: Member
    other: Member
    observer: Member


def make_world(session: Session) -> World:
    steward = seed_governance(session)
    world = World(session=session, steward=steward, author=new_member(session, "member", name="Ada Author"),
                  other=new_member(session, "member", name="Olga Other"),
                  observer=new_member(session, "observer", name="Oscar Observer"))
    session.flush()
    return world
