"""Readable differences between two versions of the cooperative's policy, and where each rule in force
came from. Pure code (no Flask, no SQLAlchemy): it works on the stored version documents
(``{"rules": [...]}`` for the data-use policy, ``{"formula": {...}}`` for the payout policy).

Rules are matched by id, so a rule whose terms changed shows as *changed* with each differing field in
plain words (the labelled fields of :mod:`governance.policy.wording.display_fields`), not as removed and added.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from governance.policy.terms.bodies import PayoutFormula, Rule
from governance.policy.terms.parsing import from_json
from governance.policy.wording.describe import NOTHING, describe_formula, describe_rule
from governance.policy.wording.display_fields import flatten_body

RuleChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class RuleDifference:
    """One rule that differs. ``sentences`` describe the rule as it is in the newer version (as it was,
    for a removed rule); ``fields`` list what changed, for a changed rule."""

    rule_id: str
    kind: RuleChangeKind
    sentences: tuple[str, ...]
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class PolicyDifference:
    line: str
    old_number: int
    new_number: int
    rules: tuple[RuleDifference, ...] = ()
    formula: tuple[FieldChange, ...] = ()

    @property
    def identical(self) -> bool:
        return not self.rules and not self.formula

    def count(self, kind: RuleChangeKind) -> int:
        return sum(1 for rule in self.rules if rule.kind == kind)


def _without_prefix(changes: Iterable[FieldChange], prefix: str) -> tuple[FieldChange, ...]:
    """The shared field labels name their rule or option ("Rule no-sale: datasets"); within one rule's
    entry the name is already the heading."""
    return tuple(FieldChange(c.path, c.label.removeprefix(prefix), c.old, c.new) for c in changes)


def rule_field_changes(old: Rule, new: Rule, titles: Mapping[str, str]) -> tuple[FieldChange, ...]:
    """The fields of a rule that differ between two of its versions, labelled for people."""
    as_body = lambda rule: {"changes": [{"op": "add", "rule": rule.to_json()}]}  # noqa: E731
    changes = diff_bodies("data_use_rule", as_body(old), as_body(new), dataset_titles=titles)
    return _without_prefix(changes, f"Rule {new.id}: ")


def diff_rules(old_rules: Sequence[Rule], new_rules: Sequence[Rule],
               titles: Mapping[str, str]) -> tuple[RuleDifference, ...]:
    """Added, changed and removed rules, in the order of the newer version (removed ones last)."""
    old_by_id = {rule.id: rule for rule in old_rules}
    new_ids = {rule.id for rule in new_rules}
    differences: list[RuleDifference] = []
    for rule in new_rules:
        before = old_by_id.get(rule.id)
        if before is None:
            differences.append(RuleDifference(rule.id, "added", tuple(describe_rule(rule, titles))))
        elif before.to_json() != rule.to_json():
            fields = rule_field_changes(before, rule, titles)
            differences.append(RuleDifference(rule.id, "changed", tuple(describe_rule(rule, titles)), fields))
    differences += [RuleDifference(rule.id, "removed", tuple(describe_rule(rule, titles)))
                    for rule in old_rules if rule.id not in new_ids]
    return tuple(differences)


def diff_formulas(old: PayoutFormula, new: PayoutFormula) -> tuple[FieldChange, ...]:
    """The fields of the payout formula that differ, labelled for people."""
    changes = diff_bodies("payout_policy", {"alternatives": [old.to_json()]}, {"alternatives": [new.to_json()]})
    return _without_prefix(changes, "Option 1: ")


def diff_documents(line: str, old_number: int, old_document: Mapping[str, Any], new_number: int,
                   new_document: Mapping[str, Any], titles: Mapping[str, str]) -> PolicyDifference:
    """What changed from version ``old_number`` to ``new_number`` of ``line`` ("data_use" or "payout")."""
    if line == "data_use":
        old_rules = [from_json(Rule, rule) for rule in old_document["rules"]]
        new_rules = [from_json(Rule, rule) for rule in new_document["rules"]]
        return PolicyDifference(line, old_number, new_number, rules=diff_rules(old_rules, new_rules, titles))
    if line == "payout":
        formula = diff_formulas(from_json(PayoutFormula, old_document["formula"]),
                                from_json(PayoutFormula, new_document["formula"]))
        return PolicyDifference(line, old_number, new_number, formula=formula)
    raise ValueError(f"unknown policy line {line!r}")


def rule_origins(documents: Iterable[tuple[int, Mapping[str, Any]]]) -> dict[str, int]:
    """For each rule of the last data-use document, the number of the version that gave the rule its
    present terms (the version that added it, or last changed it). ``documents`` are (number,
    document) pairs, oldest first."""
    origins: dict[str, int] = {}
    previous: dict[str, Any] = {}
    for number, document in documents:
        current = {rule["id"]: rule for rule in document["rules"]}
        origins = {rule_id: origins[rule_id] if previous.get(rule_id) == rule else number
                   for rule_id, rule in current.items()}
        previous = current
    return origins


def formula_sentences(formula: PayoutFormula) -> list[str]:
    """The formula in force in words: like :func:`describe.describe_formula`, without the "Option 1"
    a ballot between alternatives needs."""
    first, *rest = describe_formula(formula, 1)
    return [first.removeprefix("Option 1, "), *rest]


# --- differences ------------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldChange:
    """One field that differs between two versions: ``path`` locates it in the (newer) body JSON,
    ``label`` names it for people, ``old``/``new`` are display text ("—" when absent)."""

    path: str
    label: str
    old: str
    new: str


def diff_bodies(kind: str, old_json: Any, new_json: Any, *,
                dataset_titles: Mapping[str, str] | None = None,
                agreements: Mapping[int, str] | None = None) -> list[FieldChange]:
    """The fields that differ between two versions of a body, in the order of the newer version
    (fields only in the older one come last)."""
    titles = dataset_titles or {}
    old = flatten_body(kind, old_json, titles, agreements or {})
    new = flatten_body(kind, new_json, titles, agreements or {})
    changes = []
    for key in [*new, *(k for k in old if k not in new)]:
        old_field, new_field = old.get(key), new.get(key)
        old_text = old_field.text if old_field else NOTHING
        new_text = new_field.text if new_field else NOTHING
        if old_text != new_text:
            field = new_field or old_field
            assert field is not None
            changes.append(FieldChange(field.path, field.label, old_text, new_text))
    return changes
