"""The demo cooperative's dataset catalogue and the building blocks of its proposal stories (the
stories themselves are in :mod:`proposals.demo_stories`; :mod:`proposals.demo` plays them through the
real services).

The cooperative: ride-hailing drivers, couriers and freelance writers who pool the data their work
produces. Member keys (``"steward"`` is Sam, ``"rosa"``, ``"amara"``, ...) are the demo accounts' email
local parts.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from proposals.models import ProposalState

S = ProposalState
DPV = "https://w3id.org/dpv#"

#: (slug, title, category, description)
DATASETS: list[tuple[str, str, str, str]] = [
    ("ride-logs", "Ride logs", "Mobility",
     "Trips of member drivers exported from ride-hailing apps: start and end times, pick-up and drop-off areas "
     "(rounded to 500 m), distance, fare, platform commission and rating."),
    ("delivery-routes", "Delivery routes", "Mobility",
     "Couriers' routes as GPS traces, with stops, waiting times at restaurants and drop-off times."),
    ("earnings-statements", "Earnings statements", "Earnings",
     "Weekly payout statements from the platforms: gross fares, fees, tips, bonuses and deductions."),
    ("app-usage", "Platform app usage", "Work patterns",
     "When members are logged in, offers received, accepted and declined, and deactivation notices."),
    ("shift-surveys", "Working-conditions survey", "Surveys",
     "Answers to the cooperative's quarterly survey on hours, breaks, safety incidents and pay disputes."),
    ("health-wearables", "Health wearables", "Health",
     "Heart rate, steps and sleep recorded by the wearables of members who opted in, during and after shifts."),
    ("written-works", "Written works", "Creative works",
     "Articles, short fiction and translations by writer members, with their publication metadata."),
    ("vehicle-telemetry", "Vehicle telemetry", "Mobility",
     "Speed, braking and charging data from members' cars and e-bikes (being collected from 2027)."),
]
RESEARCH_DATASETS = ["app-usage", "delivery-routes", "earnings-statements", "ride-logs", "shift-surveys"]


# ---------------------------------------------------------------- body builders


def rule(rule_id: str, effect: str, datasets: Sequence[str], action: str, *, purposes: Sequence[str] = (),
         cohort: int | None = None, retention: int | None = None, not_before: str | None = None,
         not_after: str | None = None, regions: Sequence[str] = (), duties: Sequence[dict[str, Any]] = (),
         assignee: dict[str, Any] | None = None, description: str = "") -> dict[str, Any]:
    return {"id": rule_id, "effect": effect, "datasets": sorted(datasets), "action": action, "assignee": assignee,
            "purposes": sorted(DPV + p for p in purposes),
            "constraints": {"min_cohort_size": cohort, "retention_days": retention, "not_before": not_before,
                            "not_after": not_after, "regions": sorted(regions)},
            "duties": list(duties), "description": description}


def duty(kind: str, days: int | None = None) -> dict[str, Any]:
    return {"kind": kind, "days": days} if days is not None else {"kind": kind}


def add(r: dict[str, Any]) -> dict[str, Any]:
    return {"op": "add", "rule": r}


def change(r: dict[str, Any]) -> dict[str, Any]:
    return {"op": "change", "rule": r}


def remove(rule_id: str) -> dict[str, Any]:
    return {"op": "remove", "rule_id": rule_id}


def deal(name: str, identifier: str, category: str, datasets: Sequence[str],
         permitted: Sequence[tuple[str, Sequence[str]]], *, price: str, start: date, end: date,
         schedule: str = "once", currency: str = "EUR", prohibited: Sequence[str] = ("sell", "share"),
         retention: int | None = 365, cohort: int | None = 50, reporting: int | None = 90, audit: bool = True,
         contact: str = "", notes: str = "", attribution: bool = True, regions: Sequence[str] = ()) -> dict[str, Any]:
    """A deal body. ``attribution``/``regions`` are written only when set (as the forms do)."""
    optional: dict[str, Any] = {"attribution": True} if attribution else {}
    if regions:
        optional["regions"] = sorted(regions)
    return {**optional,
            "counterparty": {"name": name, "identifier": identifier, "contact": contact, "category": category},
            "datasets": sorted(datasets),
            "permitted": [{"action": a, "purposes": sorted(DPV + p for p in ps)} for a, ps in permitted],
            "prohibited_actions": sorted(prohibited), "price": price, "currency": currency,
            "payment_schedule": schedule, "start_date": start.isoformat(), "end_date": end.isoformat(),
            "retention_days": retention, "min_cohort_size": cohort, "reporting_every_days": reporting,
            "audit": audit, "notes": notes}


def formula(label: str, method: str, *, equal: str | None = None, metric: str | None = None,
            reserve: str = "0.10", operating: str = "0.05", minimum: str = "0.00") -> dict[str, Any]:
    return {"label": label, "method": method, "equal_fraction": equal, "metric": metric,
            "reserve_fraction": reserve, "operating_cost_fraction": operating, "minimum_per_member": minimum,
            "rounding": "cent_remainder_to_reserve"}


def payout(*alternatives: dict[str, Any]) -> dict[str, Any]:
    return {"alternatives": list(alternatives)}


def bylaw(kind: str, parameter: str, value: Any) -> dict[str, Any]:
    return {"changes": {kind: {parameter: value}}}


def edited(body: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A copy of ``body`` changed by ``edit`` (which mutates the copy)."""
    copied = copy.deepcopy(body)
    edit(copied)
    return copied


# ---------------------------------------------------------------- stories


@dataclass(frozen=True)
class Version:
    title: str
    summary: str
    body: dict[str, Any]
    note: str = ""


@dataclass(frozen=True)
class Amend:
    """An amendment by ``proposer``; ``decision`` is what the author (or proposer) did with it."""

    proposer: str
    rationale: str
    edit: Callable[[dict[str, Any]], None]
    decision: str = "open"          # open | accepted | declined | withdrawn
    reason: str = ""                # the author's reason for declining
    title: str | None = None


@dataclass(frozen=True)
class Talk:
    """A comment with its replies; ``hidden`` is a steward's reason for hiding it."""

    author: str
    text: str
    replies: tuple[tuple[str, str], ...] = ()
    hidden: str = ""
    edited_to: str = ""             # the author corrects it within the edit window


@dataclass(frozen=True)
class Story:
    kind: str
    state: ProposalState
    author: str
    versions: tuple[Version, ...]   # drafted as the first, saved as the following ones before publishing
    talks: tuple[Talk, ...] = ()
    amendments: tuple[Amend, ...] = ()
    sponsors: int | None = None     # default: enough to open voting where it opens, one short otherwise
    days_ago: int | None = None     # when the last step happened (default per state)
    reason: str = ""                # for withdrawn and cancelled
    override: str = ""              # a steward lets a conflicting deal go to vote, with this reason
    scores: tuple[int, ...] = ()    # quadratic scores for payout votes between alternatives
    steward: str = "steward"    # who opens voting, cancels and hides comments (Sam)
    key: str = field(default="")
