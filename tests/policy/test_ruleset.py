"""Applying a data-use proposal's changes to the adopted rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from governance.policy.terms.bodies import DataUseRuleBody, InvalidBody, Rule, RuleChange
from governance.policy.terms.ruleset import apply_changes
from tests.policy import samples

A = Rule("a", "prohibition", ("*",), "sell")
B = Rule("b", "permission", ("ride-logs",), "aggregate")
C = Rule("c", "prohibition", ("ride-logs",), "train_generative_model")


def body(*changes: RuleChange) -> DataUseRuleBody:
    return DataUseRuleBody(changes)


def test_add_change_and_remove():
    b2 = Rule("b", "permission", ("*",), "aggregate")
    changes = body(RuleChange("add", C), RuleChange("change", b2), RuleChange("remove", rule_id="a"))
    result = apply_changes([A, B], changes)
    assert result == (b2, C)


def test_changed_rules_keep_their_place_and_added_rules_come_last():
    b2 = Rule("b", "prohibition", ("ride-logs",), "aggregate")
    assert apply_changes([A, B, C], body(RuleChange("change", b2))) == (A, b2, C)
    assert apply_changes([], body(RuleChange("add", B), RuleChange("add", A))) == (B, A)


def test_unknown_or_duplicate_ids_are_refused_and_nothing_applies():
    rules = [A, B]
    with pytest.raises(InvalidBody) as caught:
        apply_changes(rules, body(RuleChange("add", C), RuleChange("change", Rule("x", "permission", ("*",), "use")),
                                  RuleChange("remove", rule_id="y"), RuleChange("add", A)))
    assert caught.value.errors == {
        "changes.1.rule.id": "There is no adopted rule 'x' to change.",
        "changes.2.rule_id": "There is no adopted rule 'y' to remove.",
        "changes.3.rule.id": "There is already a rule 'a': choose another id, or change that rule instead.",
    }
    assert rules == [A, B]


def test_a_change_that_changes_nothing_is_refused():
    with pytest.raises(InvalidBody) as caught:
        apply_changes([A], body(RuleChange("change", A)))
    assert caught.value.errors == {"changes.0.rule": "This change leaves rule 'a' exactly as it is."}


@settings(max_examples=100, deadline=None)
@given(samples.data_use_bodies())
def test_property_applying_then_reading_ids(changes):
    """Rules that a body changes or removes exist beforehand; afterwards removed ids are gone, the others hold
    exactly the proposed rule."""
    # Generated rules never end in a newline, so no change equals the rule it replaces.
    existing = tuple(Rule(c.target_id, "prohibition", ("*",), "use", description="existing\n")
                     for c in changes.changes if c.op != "add")
    result = {rule.id: rule for rule in apply_changes(existing, changes)}
    for change in changes.changes:
        if change.op == "remove":
            assert change.target_id not in result
        else:
            assert result[change.target_id] == change.rule
