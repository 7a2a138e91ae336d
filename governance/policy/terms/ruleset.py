"""Applying a data-use proposal's changes to the adopted rules. Pure code."""

from __future__ import annotations

from collections.abc import Sequence

from governance.policy.terms.bodies import DataUseRuleBody, InvalidBody, Rule


def rule_change_errors(rules: Sequence[Rule], body: DataUseRuleBody) -> dict[str, str]:
    """Why ``body`` cannot be applied to ``rules`` (dotted paths into the body), or ``{}``."""
    current = {rule.id: rule for rule in rules}
    errors: dict[str, str] = {}
    for index, change in enumerate(body.changes):
        rule_id = change.target_id
        if change.op == "add" and rule_id in current:
            errors[f"changes.{index}.rule.id"] = (f"There is already a rule '{rule_id}': choose another id, or "
                                                  "change that rule instead.")
        elif change.op == "change" and rule_id not in current:
            errors[f"changes.{index}.rule.id"] = f"There is no adopted rule '{rule_id}' to change."
        elif change.op == "change" and current[rule_id] == change.rule:
            errors[f"changes.{index}.rule"] = f"This change leaves rule '{rule_id}' exactly as it is."
        elif change.op == "remove" and rule_id not in current:
            errors[f"changes.{index}.rule_id"] = f"There is no adopted rule '{rule_id}' to remove."
    return errors


def apply_changes(rules: Sequence[Rule], body: DataUseRuleBody) -> tuple[Rule, ...]:
    """The rules after ``body``: changed rules keep their place, added rules come last, removed rules
    go. Raises :class:`InvalidBody` if a change names a rule that does not exist (or an added rule's
    id is taken); nothing is applied then."""
    errors = rule_change_errors(rules, body)
    if errors:
        raise InvalidBody(errors)
    result = {rule.id: rule for rule in rules}
    for change in body.changes:
        if change.op == "remove":
            del result[change.rule_id]
        else:
            assert change.rule is not None
            result[change.rule.id] = change.rule
    return tuple(result.values())
