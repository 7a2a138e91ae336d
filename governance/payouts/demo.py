"""Demo payouts: the first instalment of an agreement the demo enacted, the members' contributions
for the period, and one statement computed with the payout policy the demo adopted, all through
the services (so the audit log tells the story)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from governance.members.models import Member, MemberStatus, Role
from governance.payouts.csv_import import payout_alias
from governance.payouts.services import compute_statement, record_revenue, upload_contributions
from governance.policy.agreements import agreement_status, list_agreements
from governance.policy.services import current_payout_formula

PERIOD_DAYS = 30


def _contributions_csv(members: Mapping[str, Member], metric: str) -> bytes:
    """Every demo member's contribution (deterministic, varied); a few rows name the member by alias."""
    rows = ["member,amount"]
    payable = [m for m in members.values() if m.has_role(Role.MEMBER) and m.status != MemberStatus.INVITED]
    for index, member in enumerate(sorted(payable, key=lambda m: m.id)):
        who = payout_alias(member.id) if index % 5 == 4 else member.email
        amount = (index * 37) % 400 + (0 if index % 7 == 3 else 25)
        rows.append(f"{who},{amount}" if metric == "records_contributed" else f"{who},{index % 28 + 1}")
    return ("\n".join(rows) + "\n").encode()


def seed_payouts(session: Session, *, members: Mapping[str, Member], now: datetime) -> None:
    """Needs an enacted agreement and payout policy (``proposals.demo.seed_proposals``); without them
    there is nothing to share and nothing is seeded."""
    formula = current_payout_formula(session)
    agreements = list_agreements(session)
    if formula is None or not agreements:
        return
    active = [a for a in agreements if agreement_status(a, now.date()) == "active"]
    agreement = (active or agreements)[0]
    steward = members["steward"]
    end = now.date() - timedelta(days=1)
    start = end - timedelta(days=PERIOD_DAYS - 1)
    received = max(start, min(end, agreement.start_date))
    record_revenue(session, actor=steward, agreement_id=agreement.id, amount="3000.00", received_on=received,
                   note="First quarterly instalment (demo).", now=now)
    metric = formula.metric or "records_contributed"
    upload_contributions(session, actor=steward, period_start=start, period_end=end, metric=metric,
                         filename=f"{metric}-{start.isoformat()}.csv", data=_contributions_csv(members, metric),
                         now=now)
    compute_statement(session, actor=steward, period_start=start, period_end=end, now=now)
