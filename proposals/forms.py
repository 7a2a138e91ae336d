"""Forms of the proposal pages (the structured bodies have their own forms in ``proposals.body_forms``).

Every form that changes something is a FlaskForm, so it carries a CSRF token; the list filters are a
GET form without one (reading changes nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from governance.constitution.rules import KINDS
from governance.members.forms import choice
from proposals.transitions import STATE_LABELS

TITLE_MAX = 200
TEXT_MAX = 20_000
COMMENT_MAX = 10_000
REASON_MAX = 2_000

#: Singular names of the kinds, for buttons and headings ("New deal approval").
KIND_NAMES: dict[str, str] = {
    "data_use_rule": "data-use rule change",
    "deal_approval": "deal approval",
    "payout_policy": "payout policy",
    "bylaw_change": "bylaw change",
    "deal_suspension": "deal suspension",
}

#: What each kind is for, in the words a new member needs to choose one.
KIND_EXPLANATIONS: dict[str, str] = {
    "data_use_rule": "Add, change or remove rules saying which of our data may be used, by whom, for what "
                     "purposes and under which conditions.",
    "deal_approval": "Ask the members to approve a concrete deal with a company or institution: the datasets, "
                     "what they may and may not do with them, the price and the duration.",
    "payout_policy": "Propose how the revenue of deals is shared among members; you may offer several "
                     "alternative formulas for members to choose between.",
    "bylaw_change": "Change the constitution's parameters: quorum, thresholds, sponsors, discussion and "
                    "voting periods, voting methods.",
    "deal_suspension": "An emergency vote to suspend an approved deal at once (a breach of its terms, a court "
                       "order, a leak): voting may open as soon as it has its co-sponsors, and adopted, the "
                       "agreement stops permitting any use of the data.",
}

class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class DraftTextForm(FlaskForm):
    """The text part of a draft: title and summary (the body is the body form's)."""

    title = StringField("Title", validators=[DataRequired(message="Give the proposal a title."),
                                             Length(max=TITLE_MAX)])
    summary = TextAreaField("Summary", validators=[Length(max=TEXT_MAX)],
                            description="What the proposal does and why, for members who read only this.")
    note = StringField("What changed in this version (optional)", validators=[Length(max=REASON_MAX)])


class AmendmentTextForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(message="Give the amended proposal a title."),
                                             Length(max=TITLE_MAX)])
    summary = TextAreaField("Summary", validators=[Length(max=TEXT_MAX)])
    rationale = TextAreaField("Why this amendment", validators=[
        DataRequired(message="Explain why you propose this change."), Length(max=TEXT_MAX)])


class CommentForm(FlaskForm):
    text = TextAreaField("Your comment", validators=[DataRequired(message="Write something first."),
                                                     Length(max=COMMENT_MAX)])
    parent_id = HiddenField()

    def validate_parent_id(self, field: HiddenField) -> None:
        if field.data and not str(field.data).isdigit():
            raise ValidationError("This reply does not answer a known comment.")

    @property
    def parent(self) -> int | None:
        return int(self.parent_id.data) if self.parent_id.data else None


class CommentEditForm(FlaskForm):
    text = TextAreaField("Comment", validators=[DataRequired(message="A comment cannot be empty."),
                                                Length(max=COMMENT_MAX)])


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[DataRequired(message="Give a reason."), Length(max=REASON_MAX)])


class OptionalReasonForm(FlaskForm):
    reason = TextAreaField("Reason (optional)", validators=[Length(max=REASON_MAX)])


class OpenVotingForm(FlaskForm):
    closes_at = DateTimeLocalField("Voting closes (optional, UTC)", format="%Y-%m-%dT%H:%M",
                                   validators=[Optional()],
                                   description="Leave empty for the constitution's voting period.")

    @property
    def closes_at_utc(self) -> datetime | None:
        value = self.closes_at.data
        return value.replace(tzinfo=UTC) if value is not None else None


class CompanionForm(FlaskForm):
    companion_id = SelectField("Rule change that goes to vote with this deal", choices=[],
                               validate_choice=True)

    def set_candidates(self, candidates: Iterable[tuple[int, str]]) -> None:
        self.companion_id.choices = [choice("", "No companion"),
                                     *(choice(str(pid), f"#{pid} {title}") for pid, title in candidates)]

    @property
    def companion(self) -> int | None:
        return int(self.companion_id.data) if self.companion_id.data else None


class ListFilterForm(FlaskForm):
    """The list page's filters: read from the query string, so no CSRF token (a GET changes nothing)."""

    class Meta:
        csrf = False

    q = StringField("Search", validators=[Length(max=200)])
    kind = SelectField("Kind", choices=[choice("", "All kinds"), *(choice(k, v) for k, v in KINDS.items())],
                       default="", validate_choice=True)
    state = SelectField("State", choices=[choice("", "Any state"),
                                          *(choice(s.value, label) for s, label in STATE_LABELS.items())],
                        default="", validate_choice=True)
    mine = BooleanField("Only mine (written or co-sponsored)")


def notification_form(topics: Mapping[str, str], enabled: Mapping[str, bool]) -> FlaskForm:
    """One checkbox per topic, named ``topic_<code>``; built per request because the topics come from
    ``proposals.notifications`` (a new topic there needs no change here)."""

    class NotificationSettingsForm(FlaskForm):
        pass

    for topic, label in topics.items():
        setattr(NotificationSettingsForm, f"topic_{topic}", BooleanField(label, default=enabled.get(topic, True)))
    return NotificationSettingsForm()
