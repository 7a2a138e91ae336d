"""The forms of the ballot pages: the ballot itself (built from the election's question specs), the
"email me this receipt" button and the stewards' "open the election" form.

The ballot's inputs are plain HTML controls named after their question and option (``q0`` for a
one-of-several choice, ``q0-o2`` for a checkbox or a number of quadratic votes), read here into the
``choices`` that :func:`voting.elections.casting.cast_ballot` takes: one list per question, one integer per
option. A malformed value is reported next to its question; the casting service checks the rest
(counts, budget, vote range) again, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField
from wtforms.validators import InputRequired

from governance.members.forms import choice
from proposals.forms import OpenVotingForm
from voting.crypto.ballot import ChoiceQuestion, QuadraticQuestion
from voting.elections.services import SINGLE_DECISION_OPTIONS

QuestionSpec = ChoiceQuestion | QuadraticQuestion

#: What yes / no / abstain mean, per proposal kind (the ballot page says it in plain words).
YES_MEANS: dict[str, str] = {
    "data_use_rule": "the rule change is adopted and becomes part of the cooperative's data-use rules",
    "deal_approval": "the cooperative accepts this deal on the terms shown on the proposal",
    "payout_policy": "this payout policy is adopted for future revenue",
    "bylaw_change": "the constitution changes as proposed",
    "deal_suspension": "the agreement is suspended at once and no longer permits any use of the data",
}
NO_MEANS = "nothing changes: the current rules stay as they are"
ABSTAIN_MEANS = "you take part (your ballot counts towards the quorum) without taking a side"
PLAIN_LABELS = {"yes": "Yes", "no": "No", "abstain": "Abstain", "for": "For the proposal",
                "against": "Against the proposal"}


@dataclass(frozen=True)
class BallotOption:
    index: int
    value: str          # the option's name in the manifest
    label: str          # what the member reads
    meaning: str = ""   # one sentence, for yes / no / abstain


@dataclass(frozen=True)
class BallotQuestion:
    """One question as the ballot page shows it."""

    index: int
    spec: QuestionSpec
    options: tuple[BallotOption, ...]
    explanation: str

    @property
    def name(self) -> str:
        return f"q{self.index}"

    @property
    def quadratic(self) -> bool:
        return isinstance(self.spec, QuadraticQuestion)

    @property
    def single_choice(self) -> bool:
        return isinstance(self.spec, ChoiceQuestion) and self.spec.max_selections == 1

    def option_name(self, option: int) -> str:
        return f"q{self.index}-o{option}"

    @property
    def vote_values(self) -> list[int]:
        """Quadratic: every number of votes one option may get (the select's choices)."""
        assert isinstance(self.spec, QuadraticQuestion)
        low, high = self.spec.vote_range
        return list(range(low, high + 1))


def _explain(spec: QuestionSpec, kind: str, labels: Sequence[str]) -> str:
    if isinstance(spec, QuadraticQuestion) and tuple(spec.options) == SINGLE_DECISION_OPTIONS:
        return (f"You have {spec.budget} voice credits. Votes for the proposal mean "
                f"{YES_MEANS.get(kind, 'the proposal is adopted')}; votes against mean {NO_MEANS}. v votes cost "
                f"v × v credits, so the more strongly you feel the more you spend (at most {spec.max_votes} votes). "
                "Put your votes on one side: votes on both sides cancel out and waste credits. A ballot with no "
                "votes counts towards the quorum without taking a side.")
    if isinstance(spec, QuadraticQuestion) and tuple(spec.options) == ("for",):
        against = " Negative votes count against it; they cost the same." if spec.allow_negative else ""
        return (f"You have {spec.budget} voice credits. Positive votes support the proposal: yes means "
                f"{YES_MEANS.get(kind, 'the proposal is adopted')}. v votes cost v × v credits, so the more strongly "
                f"you feel the more you spend (at most {spec.max_votes} votes).{against} Zero votes means you take "
                "part without taking a side.")
    if isinstance(spec, QuadraticQuestion):
        negative = (" You can also put negative votes on an option to vote against it; they cost the same."
                    if spec.allow_negative else "")
        return (f"You have {spec.budget} voice credits. Putting v votes on an option costs v × v credits "
                f"(1 vote costs 1, 2 votes cost 4, 3 votes cost 9), so you can put at most "
                f"{spec.max_votes} votes on one option. Spread them to show how much each option matters to "
                f"you; credits you do not spend are simply not used.{negative}")
    if tuple(spec.options) == ("yes", "no", "abstain"):
        return (f"Yes means {YES_MEANS.get(kind, 'the proposal is adopted')}. No means {NO_MEANS}. "
                f"Abstain means {ABSTAIN_MEANS}.")
    if spec.min_selections == spec.max_selections == 1:
        return f"Choose one of the {len(labels)} alternatives below; the one with the most votes is adopted."
    return (f"Choose between {spec.min_selections} and {spec.max_selections} of the {len(labels)} "
            "alternatives below.")


def ballot_questions(specs: Sequence[QuestionSpec], kind: str,
                     labels: Sequence[Sequence[str]] | None = None) -> list[BallotQuestion]:
    """The questions of a ballot with their options' labels (``labels[q][i]``, default: the
    option's name, with yes/no/abstain capitalised) and a plain explanation of each."""
    questions = []
    for q, spec in enumerate(specs):
        names = list(spec.options)
        given = list(labels[q]) if labels is not None and q < len(labels) else []
        shown = [given[i] if i < len(given) and given[i] else PLAIN_LABELS.get(n, n) for i, n in enumerate(names)]
        meanings = {"yes": f"Adopt it: {YES_MEANS.get(kind, 'the proposal is adopted')}.",
                    "no": f"Reject it: {NO_MEANS}.", "abstain": f"Abstain: {ABSTAIN_MEANS}."}
        plain_yes_no = isinstance(spec, ChoiceQuestion) and set(names) <= set(meanings)
        options = tuple(BallotOption(i, n, shown[i], meanings[n] if plain_yes_no else "")
                        for i, n in enumerate(names))
        questions.append(BallotQuestion(q, spec, options, _explain(spec, kind, shown)))
    return questions


# ---------------------------------------------------------------- reading the posted ballot


def _integer(text: str) -> int | None:
    text = text.strip().replace("\u2212", "-")  # a typographic minus sign from a copy-paste
    if not text:
        return 0
    try:
        return int(text, 10)
    except ValueError:
        return None


def choices_from_form(questions: Sequence[BallotQuestion],
                      formdata: Mapping[str, Any]) -> tuple[list[list[int]], dict[str, str]]:
    """(choices, errors): one list of integers per question, and for each question whose inputs are
    malformed (a word in a number box, an option that does not exist) a sentence under its name."""
    choices: list[list[int]] = []
    errors: dict[str, str] = {}
    for question in questions:
        count = len(question.options)
        values = [0] * count
        if question.single_choice:
            picked = str(formdata.get(question.name, "")).strip()
            if not picked:
                errors[question.name] = "Choose one option."
            elif not picked.isdigit() or int(picked) >= count:
                errors[question.name] = "That option is not on this ballot."
            else:
                values[int(picked)] = 1
        elif question.quadratic:
            for i in range(count):
                number = _integer(str(formdata.get(question.option_name(i), "")))
                if number is None:
                    errors[question.name] = (f"Votes on “{question.options[i].label}” must be a whole number "
                                             "(for example 2 or -1).")
                    break
                values[i] = number
        else:
            values = [1 if formdata.get(question.option_name(i)) else 0 for i in range(count)]
        choices.append(values)
    return choices, errors


def credits_spent(choices: Sequence[int]) -> int:
    return sum(v * v for v in choices)


# ---------------------------------------------------------------- WTForms


class BallotForm(FlaskForm):
    """The CSRF token and the count of casts the page was rendered after (the choices are read by
    :func:`choices_from_form`; which button was pressed by its name)."""

    expected_previous = HiddenField(validators=[InputRequired()])

    @property
    def expected_count(self) -> int | None:
        text = (self.expected_previous.data or "").strip()
        return int(text) if text.isdigit() else None


class ReceiptMailForm(FlaskForm):
    """Only the CSRF token: the receipt goes to the signed-in member's own address."""


SECRECY_CHOICES = [choice("secret", "Secret ballot (encrypted; counted by the trustee committee)"),
                   choice("open", "Open roll call (every vote public on the board under the voter's alias)")]


class OpenElectionForm(OpenVotingForm):
    """Opening the vote (the window, from proposals) and the election's secrecy and trustee committee."""

    secrecy = RadioField("How members vote", choices=SECRECY_CHOICES, default="secret",
                         validators=[InputRequired(message="Choose secret or open.")])
    committee_id = SelectField("Trustee committee (secret ballots)", choices=[], validate_choice=False)

    def set_committees(self, committees: Sequence[tuple[int, str]]) -> None:
        self.committee_id.choices = [choice("", "Choose a committee"),
                                     *(choice(str(cid), label) for cid, label in committees)]

    @property
    def committee(self) -> int | None:
        text = (self.committee_id.data or "").strip()
        return int(text) if text.isdigit() else None
