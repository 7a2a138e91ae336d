"""The form of ``/policy/check``: a person asks the decision engine what the API would answer.

The form only carries the values (and the CSRF token); the request parser of the decision engine
validates them, so the page and the API refuse the same things with the same words. Choices are not
checked by WTForms for the same reason (``validate_choice=False``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField
from wtforms.validators import Optional

from governance.members.forms import choice
from governance.policy.terms.vocabulary import ACTIONS, PARTY_CATEGORIES, REGIONS, purpose_tree

TIME_FORMAT = "%Y-%m-%dT%H:%M"


def _now_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0, tzinfo=None)


class DecisionCheckForm(FlaskForm):
    party = StringField("Party")
    party_category = SelectField("Party category", validate_choice=False, choices=[
        choice("", "As its agreement records it (or not known)"),
        *(choice(code, label) for code, label in PARTY_CATEGORIES.items())])
    action = SelectField("Action", validate_choice=False,
                         choices=[choice(code, action.label) for code, action in ACTIONS.items()])
    dataset = SelectField("Dataset", validate_choice=False, choices=[])
    # Indented under their broader purpose, as DPV arranges them (an em space per level).
    purpose = SelectField("Purpose", validate_choice=False, choices=[
        choice(purpose.iri, "\u2003" * depth + purpose.label) for purpose, depth in purpose_tree()])
    time = DateTimeLocalField("When (UTC)", format=TIME_FORMAT, default=_now_minute,
                              validators=[Optional()])
    cohort_size = IntegerField("Smallest cohort (members)", validators=[Optional()])
    region = SelectField("Where the data is processed", validate_choice=False,
                         choices=[choice("", "Not said"), *(choice(code, name) for code, name in REGIONS.items())])

    def offer_datasets(self, datasets: Iterable[tuple[str, str, bool]]) -> None:
        """``(slug, title, retired)`` of every dataset in the catalogue."""
        self.dataset.choices = [choice("", "Choose a dataset")] + [
            choice(slug, f"{title} (retired)" if retired else title) for slug, title, retired in datasets]

    def request_json(self) -> dict[str, Any]:
        """The values as the API's JSON request (the time taken as UTC, as the label says)."""
        data: dict[str, Any] = {
            "party": self.party.data or "",
            "action": self.action.data or "",
            "dataset": self.dataset.data or "",
            "purpose": self.purpose.data or "",
            "time": self.time.data.strftime(TIME_FORMAT) + ":00Z" if self.time.data else "",
            "cohort_size": self.cohort_size.data,
            "region": self.region.data or None,
            "party_category": self.party_category.data or None,
        }
        return data
