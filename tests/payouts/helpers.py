"""Arranging payouts tests: an agreement, a payout policy, members, and posting the real forms."""

from __future__ import annotations

import io
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from governance.policy.agreements import enact_deal
from governance.policy.services import enact_payout_formula
from governance.policy.terms.bodies import DealBody, PayoutFormula
from governance.policy.terms.parsing import from_json
from tests.conftest import csrf_token
from tests.policy.samples import deal_json, formula_json


def add_agreement(session: Session, **overrides: Any) -> int:
    terms = {"start_date": "2025-01-01", "end_date": "2025-12-31", **overrides}
    agreement = enact_deal(session, actor=None, deal=from_json(DealBody, deal_json(**terms)), proposal_id=None)
    session.commit()
    return agreement.id


def adopt_formula(session: Session, **overrides: Any) -> int:
    version = enact_payout_formula(session, actor=None, formula=from_json(PayoutFormula, formula_json(**overrides)),
                                   proposal_id=None)
    session.commit()
    return version.number


def post_form(client: FlaskClient, url: str, data: dict[str, Any], *, page: str = "/payouts", **kwargs: Any):
    """Post ``data`` to ``url`` with the CSRF token of ``page``, as a browser would."""
    token = csrf_token(client.get(page).data)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def record(client: FlaskClient, agreement_id: int | str, amount: str, received_on: str, note: str = ""):
    return post_form(client, "/payouts/revenue", {"agreement_id": str(agreement_id), "amount": amount,
                                                  "received_on": received_on, "note": note})


def upload(client: FlaskClient, text: str | bytes, *, start: str = "2025-01-01", end: str = "2025-03-31",
           metric: str = "records_contributed", filename: str = "contributions.csv"):
    data = text.encode() if isinstance(text, str) else text
    return post_form(client, "/payouts/contributions",
                     {"period_start": start, "period_end": end, "metric": metric,
                      "file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def compute(client: FlaskClient, start: str = "2025-01-01", end: str = "2025-03-31"):
    return post_form(client, "/payouts/statements", {"period_start": start, "period_end": end})
