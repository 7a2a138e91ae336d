"""The words policy is written in: actions, purposes, party categories, currencies, regions.

Pure code (no Flask, no SQLAlchemy). Every list here is closed: bodies are validated against it, forms
offer it as choices, and the ODRL compiler maps its codes to IRIs. Actions form a small hierarchy
(``use`` is the root), so that a rule prohibiting ``train_ai_model`` also covers
``train_generative_model``. Purposes are a curated subset of the W3C Data Privacy Vocabulary (DPV),
loaded from ``data/dpv-purposes.json``; their hierarchy follows DPV's ``skos:broader``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ODRL = "http://www.w3.org/ns/odrl/2/"
#: The cooperative's ODRL profile, for what ODRL itself lacks (training AI models, selling copies).
PROFILE = "https://dataguild.org/ns/odrl#"
DPV = "https://w3id.org/dpv#"


@dataclass(frozen=True)
class Action:
    """An action a rule or deal may permit or prohibit.

    ``phrase`` is a sentence fragment with a ``{data}`` placeholder ("training AI models on {data}"),
    so plain-language descriptions read naturally for every action.
    """

    code: str
    label: str
    description: str
    parent: str | None
    iri: str
    phrase: str


ACTIONS: dict[str, Action] = {a.code: a for a in (
    Action("use", "Use", "Any use of the data at all; permitting it permits every action below.",
           None, ODRL + "use", "using {data}"),
    Action("aggregate", "Aggregate or analyse", "Combine the data into statistics or analyse it.",
           "use", ODRL + "aggregate", "aggregating or analysing {data}"),
    Action("derive", "Derive new data", "Create new data or datasets derived from the data.",
           "use", ODRL + "derive", "deriving new data from {data}"),
    Action("anonymise", "Anonymise", "Remove what identifies members, all or part of the data.",
           "use", ODRL + "anonymize", "anonymising {data}"),
    Action("share", "Share with third parties", "Give copies of the data to third parties.",
           "use", ODRL + "distribute", "sharing {data} with third parties"),
    # ODRL's "sell" transfers ownership and deletes the original: a cooperative sells copies/licences.
    Action("sell", "Sell copies", "Sell copies of the data, or access to it, to third parties.",
           "share", PROFILE + "sell", "selling copies of {data}"),
    Action("train_ai_model", "Train AI models", "Use the data to train or fine-tune any machine-learning model.",
           "use", PROFILE + "trainAIModel", "training AI models on {data}"),
    Action("train_generative_model", "Train generative AI models",
           "Use the data to train or fine-tune models that generate text, images, audio or code.",
           "train_ai_model", PROFILE + "trainGenerativeModel", "training generative AI models on {data}"),
)}


def action_ancestors(code: str) -> tuple[str, ...]:
    """``code`` and every broader action, nearest first (``train_generative_model`` →
    ``(train_generative_model, train_ai_model, use)``). Unknown codes have only themselves."""
    chain = [code]
    action = ACTIONS.get(code)
    while action is not None and action.parent is not None:
        chain.append(action.parent)
        action = ACTIONS.get(action.parent)
    return tuple(chain)


def action_is_a(code: str, ancestor: str) -> bool:
    """Whether ``code`` is ``ancestor`` or a narrower kind of it."""
    return ancestor in action_ancestors(code)


#: Categories of counterparty; rules may name a category as their assignee.
PARTY_CATEGORIES: dict[str, str] = {
    "academic": "University or research institute",
    "nonprofit": "Non-profit organisation",
    "public_body": "Public body",
    "commercial": "Commercial company",
}
#: The same categories in the plural, for sentences ("... by commercial companies").
PARTY_CATEGORY_PLURALS: dict[str, str] = {
    "academic": "universities and research institutes",
    "nonprofit": "non-profit organisations",
    "public_body": "public bodies",
    "commercial": "commercial companies",
}

#: ISO 4217 currencies with two minor digits (money is always stored with exactly two decimals).
CURRENCIES: dict[str, str] = {
    "EUR": "Euro", "USD": "US dollar", "GBP": "Pound sterling", "CHF": "Swiss franc",
    "SEK": "Swedish krona", "DKK": "Danish krone", "NOK": "Norwegian krone", "PLN": "Polish złoty",
    "CZK": "Czech koruna", "CAD": "Canadian dollar", "AUD": "Australian dollar",
}

PAYMENT_SCHEDULES: dict[str, str] = {
    "once": "once",
    "monthly": "monthly",
    "quarterly": "quarterly",
    "yearly": "yearly",
}

#: What "pro rata" payouts are proportional to.
CONTRIBUTION_METRICS: dict[str, str] = {
    "records_contributed": "Records contributed",
    "active_days": "Days with contributed data",
    "membership_months": "Months of membership",
}

#: Duties a permission may impose on whoever uses the data.
DUTY_KINDS: dict[str, str] = {
    "delete_after": "Delete the data after a number of days",
    "report_every": "Report on the use every number of days",
    "attribute": "Attribute the cooperative",
    "submit_to_audit": "Submit to audit by the cooperative",
}
#: Duty kinds that take a number of days.
DUTIES_WITH_DAYS = frozenset({"delete_after", "report_every"})

ROUNDING_RULES: dict[str, str] = {
    "cent_remainder_to_reserve": "Round each payout down to the cent; the remainder goes to the reserve",
}

PAYOUT_METHODS: dict[str, str] = {
    "equal": "Equal split",
    "pro_rata": "Pro rata by contribution",
    "hybrid": "Hybrid: part equal, the rest pro rata",
}

EU_MEMBERS = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})
EEA_MEMBERS = EU_MEMBERS | {"IS", "LI", "NO"}

_COUNTRIES = {
    "AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "HR": "Croatia", "CY": "Cyprus", "CZ": "Czechia",
    "DK": "Denmark", "EE": "Estonia", "FI": "Finland", "FR": "France", "DE": "Germany", "GR": "Greece",
    "HU": "Hungary", "IE": "Ireland", "IT": "Italy", "LV": "Latvia", "LT": "Lithuania", "LU": "Luxembourg",
    "MT": "Malta", "NL": "Netherlands", "PL": "Poland", "PT": "Portugal", "RO": "Romania", "SK": "Slovakia",
    "SI": "Slovenia", "ES": "Spain", "SE": "Sweden", "IS": "Iceland", "LI": "Liechtenstein", "NO": "Norway",
    "CH": "Switzerland", "GB": "United Kingdom", "US": "United States", "CA": "Canada", "AU": "Australia",
    "NZ": "New Zealand", "JP": "Japan", "KR": "South Korea", "SG": "Singapore", "IN": "India",
    "BR": "Brazil", "IL": "Israel", "ZA": "South Africa",
}
#: Where data may be processed: "EU"/"EEA" or ISO 3166-1 alpha-2 country codes.
REGIONS: dict[str, str] = {
    "EU": "European Union", "EEA": "European Economic Area",
    **dict(sorted(_COUNTRIES.items(), key=lambda item: item[1])),
}


# --- purposes ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Purpose:
    """A W3C DPV purpose. ``broader`` is the parent shown in forms (None for a top-level purpose);
    ``also_broader`` are further DPV parents within the curated list (CommercialResearch is both
    research and a commercial purpose), used by :func:`purpose_is_a`."""

    iri: str
    short: str
    label: str
    definition: str
    broader: str | None
    also_broader: tuple[str, ...] = ()

    @property
    def parents(self) -> tuple[str, ...]:
        return ((self.broader,) if self.broader else ()) + self.also_broader


PURPOSES_FILE = Path(__file__).parents[1] / "data" / "dpv-purposes.json"


def _load_purposes() -> dict[str, Purpose]:
    document = json.loads(PURPOSES_FILE.read_text(encoding="utf-8"))
    purposes = {
        item["iri"]: Purpose(item["iri"], item["short"], item["label"], item["definition"], item["broader"],
                             tuple(item.get("also_broader", ())))
        for item in document["purposes"]
    }
    for purpose in purposes.values():
        missing = [p for p in purpose.parents if p not in purposes]
        if missing:  # a broken data file must fail loudly at import, not mis-answer is-a checks
            raise RuntimeError(f"{PURPOSES_FILE}: {purpose.iri} has parents outside the list: {missing}")
    return purposes


PURPOSES: dict[str, Purpose] = _load_purposes()


@cache
def purpose_ancestors(iri: str) -> frozenset[str]:
    """``iri`` and every purpose broader than it, following all DPV parents."""
    seen = {iri}
    todo = [iri]
    while todo:
        purpose = PURPOSES.get(todo.pop())
        for parent in purpose.parents if purpose else ():
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return frozenset(seen)


def purpose_is_a(iri: str, ancestor_iri: str) -> bool:
    """Whether purpose ``iri`` is ``ancestor_iri`` or narrower (AcademicResearch is-a ResearchAndDevelopment)."""
    return ancestor_iri in purpose_ancestors(iri)


def purpose_label(iri: str) -> str:
    """The English label of a purpose; an unknown IRI is shown as its last segment."""
    purpose = PURPOSES.get(iri)
    return purpose.label if purpose else iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def purpose_tree() -> list[tuple[Purpose, int]]:
    """Every purpose once, depth-first under its ``broader`` parent, siblings by label: for forms."""
    children: dict[str | None, list[Purpose]] = {}
    for purpose in PURPOSES.values():
        children.setdefault(purpose.broader, []).append(purpose)
    tree: list[tuple[Purpose, int]] = []

    def walk(parent: str | None, depth: int) -> None:
        for purpose in sorted(children.get(parent, ()), key=lambda p: p.label):
            tree.append((purpose, depth))
            walk(purpose.iri, depth + 1)

    walk(None, 0)
    return tree
