"""A payout policy version as a JSON-LD document in the cooperative's own vocabulary (payout policy is
not ODRL: it shares revenue, it does not license use). Pure code: no Flask, no SQLAlchemy.

The document is plain JSON that the JSON Schema ``data/payout-policy.schema.json`` describes; the
cooperative's context turns it into RDF (decimals are strings typed ``xsd:decimal`` by the context,
so no float ever appears).
"""

from __future__ import annotations

from typing import Any

from governance.policy.odrl.data_use import CONTEXT_URL, Provenance, payout_iri, provenance_of, version_provenance
from governance.policy.terms.bodies import PayoutFormula
from governance.policy.terms.parsing import from_json

#: Where the site publishes the JSON Schema (relative to the base URL) and its ``$id``.
SCHEMA_PATH = "/ns/payout-policy.schema.json"
SCHEMA_ID = "https://dataguild.org/ns/payout-policy.schema.json"


def formula_node(formula: PayoutFormula) -> dict[str, Any]:
    stored = formula.to_json()  # decimals already as strings with their fixed number of places
    node: dict[str, Any] = {
        "@type": "PayoutFormula",
        "label": stored["label"],
        "method": stored["method"],
        "reserveFraction": stored["reserve_fraction"],
        "operatingCostFraction": stored["operating_cost_fraction"],
        "minimumPerMember": stored["minimum_per_member"],
        "rounding": stored["rounding"],
    }
    if stored["equal_fraction"] is not None:
        node["equalFraction"] = stored["equal_fraction"]
    if stored["metric"] is not None:
        node["metric"] = stored["metric"]
    return node


def payout_policy_document(base: str, provenance: Provenance, formula: PayoutFormula) -> dict[str, Any]:
    return {
        "@context": CONTEXT_URL,
        "@id": payout_iri(base, provenance.number),
        "@type": "PayoutPolicy",
        **version_provenance(base, provenance, payout_iri),
        "formula": formula_node(formula),
    }


def payout_policy_document_of(base: str, version: Any) -> dict[str, Any]:
    """The document of a stored payout ``PolicyVersion`` row."""
    return payout_policy_document(base, provenance_of(version), from_json(PayoutFormula, version.document["formula"]))
