"""Reading a request to the decision engine: "may party P do action A on dataset D for purpose U at time T?".

Pure code (no Flask, no SQLAlchemy). :func:`parse_decision_request` turns the JSON object of
``POST /api/v1/policy/decide`` (or the values of the ``/policy/check`` form) into a
:class:`DecisionRequest`, or raises :class:`BadDecisionRequest` naming the first field that is wrong,
with a sentence that says how to fix it. Codes and IRIs are both accepted, so that a client can send
what it read in our JSON-LD exports:

* ``action``: our code (``train_generative_model``) or its IRI (``https://dataguild.org/ns/odrl#trainGenerativeModel``);
* ``dataset``: the catalogue slug (``ride-logs``) or its IRI ``{base}/datasets/ride-logs``;
* ``purpose``: a DPV IRI (``https://w3id.org/dpv#AcademicResearch``), ``dpv:AcademicResearch`` or the short name;
* ``region``: ``EU``, ``EEA``, an ISO 3166-1 alpha-2 code, or the profile's IRI for it (``...#region-DE``);
* ``time``: ISO 8601 with a time zone (``2027-03-01T12:00:00Z``, ``...+01:00``); a date alone means 00:00 UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from governance.policy.terms.vocabulary import ACTIONS, DPV, PARTY_CATEGORIES, PROFILE, PURPOSES, REGIONS

REQUEST_FIELDS = ("party", "action", "dataset", "purpose", "time", "cohort_size", "region", "party_category")
MAX_PARTY = 500
#: Regions as the ODRL exports name them (``spatial`` right operands declared in the profile).
REGION_PREFIX = PROFILE + "region-"


class BadDecisionRequest(ValueError):
    """A request the engine cannot answer. ``field`` is the request field at fault (``""`` for the whole body)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_json(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "field": self.field or None}}


@dataclass(frozen=True)
class DecisionRequest:
    """A checked request: ``action`` is an ACTIONS code, ``dataset`` a catalogue slug, ``purpose`` a DPV IRI
    of the curated list, ``time`` timezone-aware UTC, ``region`` a REGIONS code."""

    party: str
    action: str
    dataset: str
    purpose: str
    time: datetime
    cohort_size: int | None = None
    region: str | None = None
    party_category: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"party": self.party, "party_category": self.party_category, "action": self.action,
                "dataset": self.dataset, "purpose": self.purpose, "time": iso_time(self.time),
                "cohort_size": self.cohort_size, "region": self.region}


def iso_time(when: datetime) -> str:
    """UTC, ``Z``-suffixed, microseconds only when there are any."""
    text = when.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def parse_decision_request(data: Any, *, datasets: frozenset[str], base_url: str) -> DecisionRequest:
    """Check ``data`` (the decoded JSON body) against the vocabulary and the dataset catalogue ``datasets``
    (slugs, retired ones included: old rules name them). ``base_url`` has no trailing slash."""
    if not isinstance(data, Mapping):
        raise BadDecisionRequest("The request body must be a JSON object such as "
                                 '{"party": "https://example.ai", "action": "aggregate", "dataset": "ride-logs", '
                                 '"purpose": "AcademicResearch", "time": "2027-03-01T12:00:00Z"}.')
    unknown = sorted(str(key) for key in data if key not in REQUEST_FIELDS)
    if unknown:
        raise BadDecisionRequest(f"Unknown field '{unknown[0]}'; the fields are: {', '.join(REQUEST_FIELDS)}.",
                                 unknown[0])
    return DecisionRequest(
        party=_party(data.get("party")),
        action=_action(data.get("action")),
        dataset=_dataset(data.get("dataset"), datasets, base_url),
        purpose=_purpose(data.get("purpose")),
        time=parse_time(data.get("time")),
        cohort_size=_cohort_size(data.get("cohort_size")),
        region=_region(data.get("region")),
        party_category=_party_category(data.get("party_category")),
    )


def _text(value: Any, field: str, what: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise BadDecisionRequest(f"Give {what}.", field)
    if not isinstance(value, str):
        raise BadDecisionRequest(f"'{field}' must be a string: {what}.", field)
    return value.strip()


def _party(value: Any) -> str:
    party = _text(value, "party", "the party that asks (its web address, as in its agreement: "
                                  "e.g. https://example.ai)")
    if len(party) > MAX_PARTY:
        raise BadDecisionRequest(f"'party' must be at most {MAX_PARTY} characters.", "party")
    return party


def _action(value: Any) -> str:
    text = _text(value, "action", "the action, e.g. aggregate or train_generative_model")
    if text in ACTIONS:
        return text
    by_iri = {action.iri: code for code, action in ACTIONS.items()}
    if text in by_iri:
        return by_iri[text]
    raise BadDecisionRequest(f"Unknown action '{text}'. Known actions: {', '.join(ACTIONS)} (or their IRIs).",
                             "action")


def _dataset(value: Any, datasets: frozenset[str], base_url: str) -> str:
    text = _text(value, "dataset", "the dataset's short name (e.g. ride-logs) or its IRI")
    prefix = f"{base_url}/datasets/"
    slug = text[len(prefix):] if text.startswith(prefix) else text
    if slug not in datasets:
        raise BadDecisionRequest(f"Unknown dataset '{text}': the catalogue at {base_url}/datasets lists the short "
                                 "names (or give the IRI {base}/datasets/{short name}).".replace("{base}", base_url),
                                 "dataset")
    return slug


def _purpose(value: Any) -> str:
    text = _text(value, "purpose", "the purpose, a W3C DPV purpose such as https://w3id.org/dpv#AcademicResearch")
    candidates = (text, DPV + text.removeprefix("dpv:"))
    for candidate in candidates:
        if candidate in PURPOSES:
            return candidate
    by_short = {purpose.short: iri for iri, purpose in PURPOSES.items()}
    if text in by_short:
        return by_short[text]
    raise BadDecisionRequest(f"Unknown purpose '{text}': give one of the cooperative's DPV purposes, as an IRI "
                             f"({DPV}AcademicResearch) or a short name (AcademicResearch).", "purpose")


def parse_time(value: Any) -> datetime:
    """ISO 8601 with a time zone, or a date (00:00 UTC). A time without a zone is refused: the answer
    could differ by a day between time zones."""
    text = _text(value, "time", "the time of the use, ISO 8601 with a time zone, e.g. 2027-03-01T12:00:00Z")
    malformed = BadDecisionRequest(f"'{text}' is not an ISO 8601 time: write e.g. 2027-03-01T12:00:00Z or "
                                   "2027-03-01T13:00:00+01:00 (or a date, 2027-03-01, meaning 00:00 UTC).", "time")
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise malformed from None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise malformed from None
    if "T" not in text.upper():
        raise malformed
    if when.tzinfo is None:
        raise BadDecisionRequest(f"'{text}' has no time zone: add Z for UTC (e.g. {text}Z) or an offset "
                                 "such as +01:00.", "time")
    return when.astimezone(UTC)


def _cohort_size(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadDecisionRequest("'cohort_size' must be a positive whole number: the number of members in the "
                                 "smallest group the use looks at (leave it out if unknown).", "cohort_size")
    return value


def _region(value: Any) -> str | None:
    if value is None or value == "":
        return None
    code = value.strip().removeprefix(REGION_PREFIX).upper() if isinstance(value, str) else None
    if code not in REGIONS:
        raise BadDecisionRequest(f"Unknown region {value!r}: give EU, EEA or an ISO 3166-1 country code of "
                                 f"the list ({', '.join(sorted(REGIONS))}), or its IRI ({REGION_PREFIX}DE).",
                                 "region")
    return code


def _party_category(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in PARTY_CATEGORIES:
        raise BadDecisionRequest(f"Unknown party category {value!r}; known categories: "
                                 f"{', '.join(PARTY_CATEGORIES)}.", "party_category")
    return value
