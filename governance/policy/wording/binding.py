"""What binds each permitted use of a deal, in plain words (the deal page). Pure code.

The same :class:`~governance.policy.terms.binding.Binding` the decision engine and the export use, so
that the page says what a machine will decide: every condition and duty with who sets it (the deal
or a data-use rule), the strictest value only.
"""

from __future__ import annotations

from collections.abc import Sequence

from governance.policy.terms.binding import DEAL, Binding
from governance.policy.terms.bodies import Duty
from governance.policy.terms.fields import long_date
from governance.policy.terms.vocabulary import ACTIONS
from governance.policy.wording.describe import duty_text, join_words, purposes_text, regions_text


def _by(sources: Sequence[str]) -> str:
    return join_words("this deal" if source == DEAL else f"rule '{source}'" for source in sources)


def binding_items(binding: Binding) -> list[str]:
    """One line per condition and duty of a bound use, each saying who sets it."""
    if not binding.covered:
        return ["No data-use rule in force permits this use, so the agreement does not permit it either "
                "(a deal only narrows what the rules permit)."]
    items = [f"processing only in {regions_text(limit.regions)} ({_by((limit.source,))})"
             for limit in binding.regions]
    if binding.min_cohort_size is not None:
        size, source = binding.min_cohort_size
        items.append(f"cohorts of at least {size} members ({_by((source,))})")
    if binding.not_before is not None and binding.not_before[1] != DEAL:
        items.append(f"not before {long_date(binding.not_before[0])} ({_by((binding.not_before[1],))})")
    if binding.not_after is not None and binding.not_after[1] != DEAL:
        items.append(f"not after {long_date(binding.not_after[0])} ({_by((binding.not_after[1],))})")
    items += [f"{duty_text(Duty(duty.kind, duty.days))} ({_by(duty.sources)})" for duty in binding.duties]
    return items


def binding_heading(binding: Binding) -> str:
    use = binding.use
    rules = join_words(f"'{rule_id}'" for rule_id in binding.rule_ids())
    bound = f", bound by rule{'s' if len(binding.rules) > 1 else ''} {rules}" if binding.rules else ""
    action = ACTIONS[use.action].label.lower() if use.action in ACTIONS else use.action
    return f"Permitted use {binding.index} ({action}, for {purposes_text(use.purposes)}){bound}:"
