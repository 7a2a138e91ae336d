"""The stewards' forms: a new subscription, and the buttons that post (pause, resume, delete, retry)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, URLField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from governance.members.forms import choice
from governance.webhooks.services import EVENT_TYPES, MAX_LABEL, MAX_URL


class SubscriptionForm(FlaskForm):
    label = StringField("Label (who receives them, e.g. the counterparty and its system)",
                        validators=[InputRequired(message="Give the subscription a label."), Length(max=MAX_LABEL)])
    url = URLField("Receiving address (https://…)",
                   validators=[InputRequired(message="Give the address that receives the webhooks."),
                               Length(max=MAX_URL)])
    event_types = SelectMultipleField("Events to send", widget=ListWidget(prefix_label=False),
                                      option_widget=CheckboxInput(),
                                      choices=[choice(name, f"{name}: {words}") for name, words in EVENT_TYPES.items()])
    # No InputRequired here: it would mark every checkbox required; the service says "choose at least one".


class ButtonForm(FlaskForm):
    """A button that posts: only the CSRF token."""
