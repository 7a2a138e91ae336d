"""The constitution's parameters as plain code (no Flask, no SQLAlchemy).

Per proposal kind: default voting method, quadratic budget, quorum, pass threshold, co-sponsors,
minimum discussion days and voting days. :func:`outcome` decides a vote from its counts, and
:func:`validate_changes` checks an amendment (the services and, later, bylaw proposals use it).

Semantics (documented in docs/constitution.md):

* **Quorum**: reached iff ``turnout * 100 >= quorum_percent * electorate_size``, where turnout is the
  number of members of the frozen electorate who cast a ballot, *abstentions included*.
* **Threshold** ``t = numerator/denominator`` in ``[1/2, 1]``: adopted iff
  ``yes * denominator >= numerator * (yes + no)`` **and** ``yes > no``. Abstentions are not in the
  denominator. The second condition makes every tie keep the status quo, so ``1/2`` reads "more than
  half of the yes/no votes" and ``2/3`` reads "at least two thirds".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from fractions import Fraction
from typing import Any

KINDS: dict[str, str] = {
    "data_use_rule": "Data-use rules",
    "deal_approval": "Deal approvals",
    "payout_policy": "Payout policy",
    "bylaw_change": "Bylaw changes",
    "deal_suspension": "Deal suspensions",
}
#: Kinds added after the founding: a constitution version stored before a kind existed has no rules
#: for it and is read with the kind's DEFAULTS (its stored rows, and so its snapshot hash, stay as
#: they were). Every version written since holds all of KINDS.
LATER_KINDS: frozenset[str] = frozenset({"deal_suspension"})
METHODS: dict[str, str] = {
    "one_member_one_vote": "one member, one vote",
    "quadratic": "quadratic voting",
}
OUTCOMES = ("adopted", "rejected", "no_quorum")

#: Sane limits (inclusive) of the integer parameters.
LIMITS: dict[str, tuple[int, int]] = {
    "quadratic_budget": (1, 10_000),
    "quorum_percent": (0, 100),
    "min_sponsors": (0, 50),
    "min_discussion_days": (1, 90),
    "voting_days": (1, 60),
}
#: Per-kind exceptions to LIMITS. A suspension vote is an emergency brake on an approved deal: its
#: voting may open at once (no minimum discussion), which no routine kind may be given.
KIND_LIMITS: dict[str, dict[str, tuple[int, int]]] = {
    "deal_suspension": {"min_discussion_days": (0, 90)},
}
MAX_THRESHOLD_DENOMINATOR = 1000


@dataclass(frozen=True)
class KindRules:
    """The rules for one proposal kind in one version of the constitution."""

    kind: str
    method: str
    quadratic_budget: int
    quorum_percent: int
    threshold: Fraction
    min_sponsors: int
    min_discussion_days: int
    voting_days: int

    def to_json(self) -> dict[str, Any]:
        """JSON values only (the threshold as numerator/denominator): used for snapshot hashes."""
        return {
            "kind": self.kind,
            "method": self.method,
            "quadratic_budget": self.quadratic_budget,
            "quorum_percent": self.quorum_percent,
            "threshold_numerator": self.threshold.numerator,
            "threshold_denominator": self.threshold.denominator,
            "min_sponsors": self.min_sponsors,
            "min_discussion_days": self.min_discussion_days,
            "voting_days": self.voting_days,
        }


PARAMETERS: tuple[str, ...] = tuple(f.name for f in fields(KindRules) if f.name != "kind")

PARAMETER_LABELS: dict[str, str] = {
    "method": "Default voting method",
    "quadratic_budget": "Quadratic voice credits",
    "quorum_percent": "Quorum",
    "threshold": "Pass threshold",
    "min_sponsors": "Co-sponsors needed",
    "min_discussion_days": "Minimum discussion",
    "voting_days": "Voting period",
}

DEFAULTS: dict[str, KindRules] = {
    "data_use_rule": KindRules("data_use_rule", "one_member_one_vote", 100, 20, Fraction(1, 2), 2, 7, 7),
    "deal_approval": KindRules("deal_approval", "one_member_one_vote", 100, 25, Fraction(1, 2), 2, 7, 7),
    "payout_policy": KindRules("payout_policy", "quadratic", 100, 25, Fraction(1, 2), 2, 14, 7),
    "bylaw_change": KindRules("bylaw_change", "one_member_one_vote", 100, 30, Fraction(2, 3), 2, 14, 10),
    # An emergency vote to stop an approved deal: no discussion period, two days of voting; 20% quorum
    # (reachable in two days) and a two-thirds majority, because it overturns a deal the members
    # approved after a full debate, cannot be undone, and is decided in a hurry.
    "deal_suspension": KindRules("deal_suspension", "one_member_one_vote", 100, 20, Fraction(2, 3), 2, 0, 2),
}


# --- reading and explaining -------------------------------------------------------------------

_NAMED_FRACTIONS = {
    Fraction(1, 2): "half", Fraction(2, 3): "two thirds", Fraction(3, 4): "three quarters",
    Fraction(3, 5): "three fifths", Fraction(4, 5): "four fifths", Fraction(1, 1): "all",
}


def threshold_words(t: Fraction) -> str:
    """``1/2`` → "more than half of the yes/no votes"; ``2/3`` → "at least two thirds of ..."."""
    name = _NAMED_FRACTIONS.get(t, f"{t.numerator}/{t.denominator}")
    if t == Fraction(1, 2):
        return "more than half of the yes/no votes"
    if t == 1:
        return "all of the yes/no votes (unanimity; at least one yes)"
    return f"at least {name} of the yes/no votes"


def display_value(parameter: str, value: Any) -> str:
    if parameter == "method":
        return METHODS.get(value, str(value))
    if parameter == "threshold":
        return f"{value.numerator}/{value.denominator}"
    if parameter == "quorum_percent":
        return f"{value}% of the electorate"
    if parameter in ("min_discussion_days", "voting_days"):
        return f"{value} day{'s' if value != 1 else ''}"
    if parameter == "quadratic_budget":
        return f"{value} credits"
    return str(value)


def explain(rules: KindRules) -> dict[str, str]:
    """Plain-language explanation of each parameter of ``rules``."""
    budget_votes = int(rules.quadratic_budget ** 0.5)
    return {
        "method": ("Each member has one vote: yes, no or abstain." if rules.method == "one_member_one_vote"
                   else "Each member spends voice credits; casting v votes on an option costs v² credits."),
        "quadratic_budget": (f"When a ballot is quadratic, each member has {rules.quadratic_budget} voice credits "
                             f"(at most {budget_votes} votes on a single option)."),
        "quorum_percent": (f"The vote counts only if at least {rules.quorum_percent}% of the members eligible "
                           "when voting opened cast a ballot; abstentions count towards the quorum."),
        "threshold": (f"Adopted if yes votes are {threshold_words(rules.threshold)}; abstentions are not "
                      "counted and a tie keeps the status quo."),
        "min_sponsors": f"A proposal needs {rules.min_sponsors} co-sponsor(s) before it can go to vote.",
        "min_discussion_days": (f"Members discuss for at least {display_value('min_discussion_days', rules.min_discussion_days)} before voting may open."  # noqa: E501
                                if rules.min_discussion_days else
                                "Voting may open as soon as the proposal is published: no minimum discussion."),
        "voting_days": f"Voting stays open for {display_value('voting_days', rules.voting_days)} by default.",
    }


def summary(rules: KindRules) -> str:
    """One plain-language paragraph with every parameter of ``rules``."""
    method = ("one member, one vote (yes, no or abstain)" if rules.method == "one_member_one_vote"
              else f"quadratic voting: each member spends {rules.quadratic_budget} voice credits, "
                   "and v votes on an option cost v²")
    quadratic = ("" if rules.method == "quadratic"
                 else f" If a ballot of this kind is made quadratic, each member has {rules.quadratic_budget} credits.")
    discussion = (f"at least {display_value('min_discussion_days', rules.min_discussion_days)} of discussion"
                  if rules.min_discussion_days else "no minimum discussion")
    return (f"Needs {rules.min_sponsors} co-sponsor(s) and {discussion} before voting opens; "
            f"voting lasts {display_value('voting_days', rules.voting_days)} by default, by {method}. "
            f"The vote counts if at least {rules.quorum_percent}% of the eligible members take part, and the "
            f"proposal is adopted if yes votes are {threshold_words(rules.threshold)}.{quadratic}")


# --- outcome ----------------------------------------------------------------------------------

def quorum_reached(rules: KindRules, electorate_size: int, turnout: int) -> bool:
    return turnout * 100 >= rules.quorum_percent * electorate_size and turnout > 0


def outcome(rules: KindRules, electorate_size: int, yes: int, no: int, abstain: int = 0,
            *, turnout: int | None = None) -> str:
    """``adopted`` | ``rejected`` | ``no_quorum`` for a yes/no vote.

    ``yes``/``no``/``abstain`` are ballot counts (one member, one vote) or, for quadratic ballots, the
    summed positive and negative votes; then pass ``turnout`` = the number of members who cast a
    ballot (it defaults to ``yes + no + abstain``). An empty vote never reaches quorum.
    """
    counts = {"electorate_size": electorate_size, "yes": yes, "no": no, "abstain": abstain}
    if turnout is not None:
        counts["turnout"] = turnout
    for name, value in counts.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
    if turnout is None:
        turnout = yes + no + abstain
    if turnout > electorate_size:
        raise ValueError(f"turnout ({turnout}) exceeds the electorate ({electorate_size})")
    if not quorum_reached(rules, electorate_size, turnout):
        return "no_quorum"
    t = rules.threshold
    if yes > no and yes * t.denominator >= t.numerator * (yes + no):
        return "adopted"
    return "rejected"


# --- validating changes -----------------------------------------------------------------------

class InvalidChanges(ValueError):
    """An amendment that cannot be applied; ``errors`` maps ``"kind.parameter"`` (or ``"reason"``,
    ``"changes"``) to a message meant for people."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


_FRACTION_RE = re.compile(r"^\s*\d+(\s*/\s*\d+|\.\d+)?\s*$")


def parse_threshold(value: Any) -> Fraction:
    """A threshold from ``Fraction``, ``(num, den)``, int 1 or text like ``"2/3"`` / ``"0.6"``.
    Floats are refused: ``0.6666`` is not two thirds."""
    if isinstance(value, bool | float):
        raise ValueError("give the threshold as an exact fraction such as \"2/3\" or \"1/2\", not a float")
    if isinstance(value, Fraction):
        t = value
    elif isinstance(value, int):
        t = Fraction(value)
    elif isinstance(value, tuple | list) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        if value[1] == 0:
            raise ValueError("the threshold's denominator must not be zero")
        t = Fraction(value[0], value[1])
    elif isinstance(value, str) and _FRACTION_RE.match(value):
        try:
            t = Fraction(value.replace(" ", ""))
        except ZeroDivisionError:
            raise ValueError("the threshold's denominator must not be zero") from None
    else:
        raise ValueError(f"the threshold must be a fraction such as \"2/3\", not {value!r}")
    if not Fraction(1, 2) <= t <= 1:
        raise ValueError("the threshold must be between 1/2 (more than half) and 1 (unanimity); "
                         "a lower one would let a minority adopt")
    if t.denominator > MAX_THRESHOLD_DENOMINATOR:
        raise ValueError(f"the threshold's denominator must be at most {MAX_THRESHOLD_DENOMINATOR}")
    return t


def limits(kind: str | None, parameter: str) -> tuple[int, int]:
    """The inclusive range of an integer parameter for ``kind`` (the general one for None)."""
    return KIND_LIMITS.get(kind or "", {}).get(parameter, LIMITS[parameter])


def _parse_int(parameter: str, kind: str | None = None) -> Callable[[Any], int]:
    low, high = limits(kind, parameter)

    def parse(value: Any) -> int:
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"must be a whole number, not {value!r}")
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, not {value}")
        return value
    return parse


def _parse_method(value: Any) -> str:
    if value not in METHODS:
        raise ValueError(f"unknown voting method {value!r}; choose one of {', '.join(METHODS)}")
    return value


PARSERS: dict[str, Callable[[Any], Any]] = {
    "method": _parse_method,
    "threshold": parse_threshold,
    **{name: _parse_int(name) for name in LIMITS},
}


def parser_for(kind: str, parameter: str) -> Callable[[Any], Any]:
    """The parser of ``parameter`` for ``kind`` (KeyError for an unknown parameter)."""
    if parameter in KIND_LIMITS.get(kind, {}):
        return _parse_int(parameter, kind)
    return PARSERS[parameter]


def validate_changes(current: Mapping[str, KindRules],
                     changes: Any) -> dict[str, KindRules]:
    """Apply ``changes`` (``{kind: {parameter: value}}``) to ``current`` and return the full new
    snapshot, or raise :class:`InvalidChanges` listing every problem. Nothing is mutated."""
    errors: dict[str, str] = {}
    if not isinstance(changes, Mapping) or not changes:
        raise InvalidChanges({"changes": "give at least one parameter to change, as {kind: {parameter: value}}"})
    new = dict(current)
    for kind, params in changes.items():
        if kind not in KINDS:
            errors[str(kind)] = f"unknown proposal kind {kind!r}; known kinds: {', '.join(KINDS)}"
            continue
        if not isinstance(params, Mapping) or not params:
            errors[kind] = "give the parameters to change as {parameter: value}"
            continue
        updates: dict[str, Any] = {}
        for param, value in params.items():
            key = f"{kind}.{param}"
            if param not in PARSERS:
                errors[key] = f"unknown parameter {param!r}; known parameters: {', '.join(PARAMETERS)}"
                continue
            try:
                updates[param] = parser_for(kind, param)(value)
            except ValueError as exc:
                errors[key] = str(exc)
        if updates:
            new[kind] = replace(new.get(kind, DEFAULTS[kind]), **updates)
    if not errors and all(new[k] == current.get(k) for k in new):
        errors["changes"] = "the amendment changes nothing: every value equals the current one"
    if errors:
        raise InvalidChanges(errors)
    return new


@dataclass(frozen=True)
class Change:
    kind: str
    parameter: str
    old: Any
    new: Any

    @property
    def summary(self) -> str:
        return (f"{KINDS[self.kind]}: {PARAMETER_LABELS[self.parameter].lower()} "
                f"{display_value(self.parameter, self.old)} → {display_value(self.parameter, self.new)}")

    def to_json(self) -> dict[str, Any]:
        def enc(v: Any) -> Any:
            return f"{v.numerator}/{v.denominator}" if isinstance(v, Fraction) else v
        return {"kind": self.kind, "parameter": self.parameter, "old": enc(self.old), "new": enc(self.new)}


def diff(old: Mapping[str, KindRules], new: Mapping[str, KindRules]) -> list[Change]:
    """Every parameter that differs, in a stable order (kinds, then parameters)."""
    changes = []
    for kind in KINDS:
        if kind not in old or kind not in new:
            continue
        for param in PARAMETERS:
            a, b = getattr(old[kind], param), getattr(new[kind], param)
            if a != b:
                changes.append(Change(kind, param, a, b))
    return changes
