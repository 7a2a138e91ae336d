"""The constitution's pure rules: outcome semantics, threshold parsing, validation and diffs."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.constitution.rules import (
    DEFAULTS,
    KINDS,
    LATER_KINDS,
    InvalidChanges,
    diff,
    explain,
    outcome,
    parse_threshold,
    summary,
    threshold_words,
    validate_changes,
)

MAJORITY = DEFAULTS["data_use_rule"]  # 20% quorum, 1/2
BYLAW = DEFAULTS["bylaw_change"]  # 30% quorum, 2/3


def test_defaults_cover_every_kind_and_bylaws_need_two_thirds_and_30_percent() -> None:
    assert set(DEFAULTS) == set(KINDS)
    assert BYLAW.threshold == Fraction(2, 3)
    assert BYLAW.quorum_percent == 30
    assert all(r.threshold >= Fraction(1, 2) for r in DEFAULTS.values())
    # Only the emergency kind may open its vote at once; every routine kind has a discussion period.
    assert {k for k, r in DEFAULTS.items() if r.min_discussion_days < 1} == {"deal_suspension"}


def test_deal_suspension_is_an_emergency_procedure() -> None:
    rules = DEFAULTS["deal_suspension"]
    assert (rules.method, rules.min_sponsors, rules.min_discussion_days, rules.voting_days) == (
        "one_member_one_vote", 2, 0, 2)
    assert (rules.quorum_percent, rules.threshold) == (20, Fraction(2, 3))
    assert "no minimum discussion" in summary(rules)


def test_no_discussion_is_allowed_for_deal_suspensions_only() -> None:
    new = validate_changes(DEFAULTS, {"deal_suspension": {"min_discussion_days": 1}})
    assert new["deal_suspension"].min_discussion_days == 1
    assert validate_changes(new, {"deal_suspension": {"min_discussion_days": "0"}}) == DEFAULTS
    with pytest.raises(InvalidChanges) as caught:
        validate_changes(DEFAULTS, {"data_use_rule": {"min_discussion_days": 0}})
    assert caught.value.errors == {"data_use_rule.min_discussion_days": "must be between 1 and 90, not 0"}


def test_a_snapshot_without_a_later_kind_gets_its_defaults_when_changed() -> None:
    older = {kind: rules for kind, rules in DEFAULTS.items() if kind not in LATER_KINDS}
    new = validate_changes(older, {"deal_suspension": {"voting_days": 3}})
    assert new["deal_suspension"] == replace(DEFAULTS["deal_suspension"], voting_days=3)


@pytest.mark.parametrize(("yes", "no", "abstain", "expected"), [
    (60, 40, 0, "adopted"),
    (50, 50, 0, "rejected"),     # a tie keeps the status quo
    (45, 45, 10, "rejected"),    # abstentions do not break ties
    (40, 60, 0, "rejected"),
    (51, 49, 0, "adopted"),
    (1, 0, 99, "adopted"),       # abstentions are not in the threshold's denominator
    (0, 0, 20, "rejected"),      # quorum reached by abstentions alone, but nobody said yes
])
def test_simple_majority_is_more_than_half(yes: int, no: int, abstain: int, expected: str) -> None:
    assert outcome(MAJORITY, 100, yes, no, abstain) == expected


@pytest.mark.parametrize(("yes", "no", "expected"), [
    (20, 10, "adopted"),   # exactly two thirds
    (19, 10, "rejected"),  # just below
    (21, 10, "adopted"),
    (2, 1, "adopted"),
])
def test_bylaw_threshold_is_at_least_two_thirds(yes: int, no: int, expected: str) -> None:
    assert outcome(BYLAW, yes + no, yes, no, 0) == expected


def test_quorum_is_at_least_the_percentage_and_counts_abstentions() -> None:
    assert outcome(BYLAW, 100, 29, 0, 0) == "no_quorum"
    assert outcome(BYLAW, 100, 29, 0, 1) == "adopted"     # 30 of 100 cast a ballot
    assert outcome(BYLAW, 7, 2, 0, 0) == "no_quorum"      # 2/7 = 28.6% < 30%
    assert outcome(BYLAW, 7, 3, 0, 0) == "adopted"        # 3/7 = 42.9%
    assert outcome(MAJORITY, 0, 0, 0, 0) == "no_quorum"   # an empty vote never reaches quorum
    zero = replace(MAJORITY, quorum_percent=0)
    assert outcome(zero, 50, 1, 0, 0) == "adopted"
    assert outcome(zero, 50, 0, 0, 0) == "no_quorum"


def test_quadratic_counts_use_an_explicit_turnout() -> None:
    rules = DEFAULTS["payout_policy"]
    # 30 members voted (30% of 100 > 25%); summed votes 40 for, 35 against.
    assert outcome(rules, 100, 40, 35, 0, turnout=30) == "adopted"
    assert outcome(rules, 100, 40, 35, 0, turnout=20) == "no_quorum"


@pytest.mark.parametrize(("args", "message"), [
    ((10, -1, 0, 0), "yes must be a non-negative integer"),
    ((10, 1, 0, 0.5), "abstain must be a non-negative integer"),
    ((10, 8, 5, 0), "exceeds the electorate"),
])
def test_outcome_rejects_impossible_counts(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        outcome(MAJORITY, *args)


@pytest.mark.parametrize(("text", "expected"), [
    ("2/3", Fraction(2, 3)), (" 3 / 4 ", Fraction(3, 4)), ("0.6", Fraction(3, 5)), ("1", Fraction(1)),
    ((1, 2), Fraction(1, 2)), (Fraction(4, 5), Fraction(4, 5)), (1, Fraction(1)),
])
def test_threshold_parsing_is_exact(text: object, expected: Fraction) -> None:
    assert parse_threshold(text) == expected


@pytest.mark.parametrize(("value", "message"), [
    (0.5, "not a float"), ("1/3", "between 1/2"), ("3/2", "between 1/2"), ("0", "between 1/2"),
    ("1/0", "must not be zero"), ((1, 0), "must not be zero"), ("two thirds", "fraction such as"),
    ("501/1001", "denominator must be at most"), (True, "not a float"),
])
def test_threshold_parsing_refuses_bad_values(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_threshold(value)


def test_threshold_words() -> None:
    assert threshold_words(Fraction(1, 2)) == "more than half of the yes/no votes"
    assert threshold_words(Fraction(2, 3)) == "at least two thirds of the yes/no votes"
    assert "unanimity" in threshold_words(Fraction(1))


def test_validate_changes_returns_a_full_new_snapshot_without_mutating() -> None:
    new = validate_changes(DEFAULTS, {"deal_approval": {"quorum_percent": "40", "threshold": "3/5",
                                                        "method": "quadratic"}})
    assert new["deal_approval"].quorum_percent == 40
    assert new["deal_approval"].threshold == Fraction(3, 5)
    assert new["bylaw_change"] == DEFAULTS["bylaw_change"]
    assert DEFAULTS["deal_approval"].quorum_percent == 25
    changes = diff(DEFAULTS, new)
    assert [(c.parameter, c.old, c.new) for c in changes] == [
        ("method", "one_member_one_vote", "quadratic"), ("quorum_percent", 25, 40),
        ("threshold", Fraction(1, 2), Fraction(3, 5))]
    assert changes[1].summary == "Deal approvals: quorum 25% of the electorate → 40% of the electorate"
    assert changes[2].to_json() == {"kind": "deal_approval", "parameter": "threshold", "old": "1/2", "new": "3/5"}


def test_validate_changes_lists_every_problem() -> None:
    with pytest.raises(InvalidChanges) as info:
        validate_changes(DEFAULTS, {
            "treaty": {"quorum_percent": 10},
            "data_use_rule": {"quorum_percent": 101, "voting_days": 0, "colour": "red", "method": "ranked"},
            "bylaw_change": {"min_discussion_days": 365, "quadratic_budget": "many", "threshold": 0.7},
        })
    errors = info.value.errors
    assert errors["treaty"].startswith("unknown proposal kind 'treaty'")
    assert errors["data_use_rule.quorum_percent"] == "must be between 0 and 100, not 101"
    assert errors["data_use_rule.voting_days"] == "must be between 1 and 60, not 0"
    assert errors["data_use_rule.colour"].startswith("unknown parameter 'colour'")
    assert errors["data_use_rule.method"].startswith("unknown voting method 'ranked'")
    assert errors["bylaw_change.min_discussion_days"] == "must be between 1 and 90, not 365"
    assert errors["bylaw_change.quadratic_budget"] == "must be a whole number, not 'many'"
    assert "not a float" in errors["bylaw_change.threshold"]


@pytest.mark.parametrize("changes", [{}, None, {"bylaw_change": {}}, {"bylaw_change": {"quorum_percent": 30}}])
def test_validate_changes_refuses_empty_or_no_op_amendments(changes: object) -> None:
    with pytest.raises(InvalidChanges):
        validate_changes(DEFAULTS, changes)


def test_explanations_are_plain_language() -> None:
    text = explain(BYLAW)
    assert "at least two thirds" in text["threshold"]
    assert "abstentions count towards the quorum" in text["quorum_percent"]
    assert "10 votes on a single option" in explain(DEFAULTS["payout_policy"])["quadratic_budget"]


_thresholds = st.sampled_from([Fraction(1, 2), Fraction(3, 5), Fraction(2, 3), Fraction(3, 4), Fraction(1)])
_counts = st.tuples(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.integers(0, 60))


@given(t=_thresholds, quorum=st.integers(0, 100), counts=_counts)
def test_outcome_properties(t: Fraction, quorum: int, counts: tuple[int, int, int, int]) -> None:
    yes, no, abstain, absent = counts
    rules = replace(MAJORITY, threshold=t, quorum_percent=quorum)
    electorate, turnout = yes + no + abstain + absent, yes + no + abstain
    result = outcome(rules, electorate, yes, no, abstain)
    assert (result == "no_quorum") == (turnout == 0 or turnout * 100 < quorum * electorate)
    if yes == no:
        assert result != "adopted"  # ties keep the status quo
    if result == "adopted":
        assert yes > no
        assert Fraction(yes, yes + no) >= t  # exact arithmetic, no floats
        if no:  # a no turned into a yes never turns adoption into rejection
            assert outcome(rules, electorate, yes + 1, no - 1, abstain) == "adopted"
        if abstain:  # nor does an abstention turned into a yes
            assert outcome(rules, electorate, yes + 1, no, abstain - 1) == "adopted"
