"""The account page's form for a new personal access token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from governance.api.services import LIFETIMES_DAYS, SCOPES
from governance.members.forms import choice


class TokenForm(FlaskForm):
    label = StringField("Label (what the token is for, e.g. the computer or the script)",
                        validators=[InputRequired(message="Give the token a label."), Length(max=100)])
    scopes = SelectMultipleField("Scopes: what the token may do for you", widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput(),
                                 validators=[InputRequired(message="Choose at least one scope.")])
    lifetime_days = SelectField("Expires after", coerce=int,
                                choices=[choice(d, f"{d} days") for d in LIFETIMES_DAYS])

    def offer(self, allowed: list[str]) -> None:
        self.scopes.choices = [choice(s, f"{s}: {SCOPES[s]}") for s in allowed]


class ButtonForm(FlaskForm):
    """A button that posts (revoke a token): only the CSRF token."""
