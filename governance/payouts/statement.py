"""The statement document (what a payout statement's hash covers) and its CSV export.

The document names members by id and payout alias only, never by email: it is the durable record
of what was computed and why. The CSV export, for the stewards who make the transfers, adds names
and email addresses. Pure code (no Flask, no SQLAlchemy).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from governance.payouts.compute import PayoutResult
from governance.payouts.csv_import import amount_text, payout_alias

DOCUMENT_TYPE = "dataguild-payout-statement-v1"


def money(cents: int) -> str:
    """Cents as a decimal string (``12345`` → ``"123.45"``) for exports: exact, never a float."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def statement_document(*, period_start: date, period_end: date, currency: str, policy_number: int,
                       policy_hash: str, formula_json: Mapping[str, Any],
                       revenue: Sequence[Mapping[str, Any]], upload: Mapping[str, Any] | None,
                       participants_from: str, result: PayoutResult, computed_at: datetime) -> dict[str, Any]:
    """The whole statement as JSON values (integers for cents, strings for decimals, no floats)."""
    return {
        "type": DOCUMENT_TYPE,
        "period": {"start": period_start.isoformat(), "end": period_end.isoformat()},
        "currency": currency,
        "policy": {"line": "payout", "number": policy_number, "document_hash": policy_hash,
                   "formula": dict(formula_json)},
        "revenue": {"total_cents": result.revenue_cents, "entries": [dict(entry) for entry in revenue]},
        "contributions": {"participants_from": participants_from, "upload": dict(upload) if upload else None},
        "totals": {
            "revenue_cents": result.revenue_cents,
            "operating_cost_cents": result.operating_cost_cents,
            "reserve_cents": result.reserve_cents,
            "reserve_parts": {"fraction_cents": result.reserve_fraction_cents,
                              "rounding_remainder_cents": result.rounding_remainder_cents,
                              "undistributed_cents": result.undistributed_cents},
            "distributable_cents": result.distributable_cents,
            "distributed_cents": result.distributed_cents,
        },
        "minimum": {"per_member_cents": result.minimum_cents, "honoured": result.minimum_honoured},
        "lines": [{"member_id": line.member_id, "alias": payout_alias(line.member_id),
                   "contribution": amount_text(line.contribution) if line.contribution is not None else None,
                   "amount_cents": line.amount_cents, "explanation": line.explanation} for line in result.lines],
        "notes": list(result.notes),
        "computed_at": computed_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


CSV_COLUMNS = ("kind", "member_id", "alias", "name", "email", "contribution", "amount", "currency", "explanation")


def statement_csv(document: Mapping[str, Any], people: Mapping[int, tuple[str, str]]) -> str:
    """One row per member, then the reserve and the operating costs: the ``amount`` column sums to
    the revenue. ``people`` maps member id → (name, email)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    currency = document["currency"]
    for line in document["lines"]:
        name, email = people.get(line["member_id"], ("", ""))
        writer.writerow(["member", line["member_id"], line["alias"], _safe(name), _safe(email),
                         line["contribution"] or "", money(line["amount_cents"]), currency,
                         _safe(line["explanation"])])
    totals = document["totals"]
    writer.writerow(["reserve", "", "", "", "", "", money(totals["reserve_cents"]), currency,
                     _safe(" ".join(document["notes"]))])
    writer.writerow(["operating_costs", "", "", "", "", "", money(totals["operating_cost_cents"]), currency, ""])
    return out.getvalue()


def _safe(text: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: a member's name must never do that."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

