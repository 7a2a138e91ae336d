"""Plain words for the payouts audit action codes (shown on /audit)."""

from __future__ import annotations

from governance.audit.actions import describe_actions

PAYOUT_ACTIONS: dict[str, str] = {
    "payout.revenue_recorded": "Revenue received under an agreement recorded",
    "payout.contributions_uploaded": "Member contributions uploaded for a period",
    "payout.statement_computed": "Payout statement computed with the payout policy in force",
}

describe_actions(PAYOUT_ACTIONS)
