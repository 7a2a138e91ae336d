from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from governance.members.models import Role

try:  # WTForms >= 3.3 deprecates (value, label) tuples
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def choice(value: str, label: str) -> object:
    return SelectChoice(value, label) if SelectChoice is not None else (value, label)


def role_choices(roles: Iterable[Role]) -> list[object]:
    return [choice(r.value, r.value.capitalize()) for r in roles]


ROLE_CHOICES = role_choices(Role)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES, default=["member"],
                               validators=[InputRequired(message="Choose at least one role.")])


class RoleChangeForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    action = SelectField("Change", choices=[choice("add", "Grant"), choice("remove", "Remove")],
                         validators=[DataRequired()])


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[DataRequired(message="Give a reason."), Length(max=2000)])


class LeaveForm(FlaskForm):
    confirm = BooleanField("I understand that leaving is final: I will no longer be able to sign in or vote.",
                           validators=[DataRequired(message="Tick the box to confirm.")])
    reason = TextAreaField("Reason (optional, recorded in the audit log)", validators=[Length(max=2000)])


class EmptyForm(FlaskForm):
    pass
