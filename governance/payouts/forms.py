"""Forms of the payouts page. The services validate (one set of rules for the site, the demo and the
CLI); these forms carry the values and the CSRF token, and show the errors next to the fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, TextAreaField

from governance.members.forms import choice
from governance.policy.terms.vocabulary import CONTRIBUTION_METRICS

_BAD_DATE = "Give a date as YYYY-MM-DD."


def _optional_int(value: object) -> int | None:
    """The empty choice is None (the service says what is missing), not a coercion error."""
    if value in (None, ""):
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class RevenueForm(FlaskForm):
    agreement_id = SelectField("Agreement", coerce=_optional_int, validate_choice=False)
    amount = StringField("Amount received")
    received_on = DateField("Date received", invalid_value_message=_BAD_DATE)
    note = TextAreaField("Note (optional, e.g. the transfer reference)")


class ContributionsForm(FlaskForm):
    period_start = DateField("First day of the period", invalid_value_message=_BAD_DATE, id="contributions-start")
    period_end = DateField("Last day of the period", invalid_value_message=_BAD_DATE, id="contributions-end")
    metric = SelectField("Metric", choices=[choice(key, label) for key, label in CONTRIBUTION_METRICS.items()],
                         validate_choice=False)
    file = FileField("Contributions file (CSV)")


class StatementForm(FlaskForm):
    period_start = DateField("First day of the period", invalid_value_message=_BAD_DATE, id="statement-start")
    period_end = DateField("Last day of the period", invalid_value_message=_BAD_DATE, id="statement-end")
