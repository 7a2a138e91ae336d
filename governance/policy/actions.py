"""Plain words for the policy store's audit action codes (shown on /audit)."""

from __future__ import annotations

from governance.audit.actions import describe_actions

POLICY_ACTIONS: dict[str, str] = {
    "dataset.added": "Dataset added to the catalogue",
    "dataset.updated": "Dataset description changed",
    "dataset.retired": "Dataset retired from the catalogue (no longer offered for new rules or deals)",
    "policy.version_enacted": "New version of the data-use or payout policy enacted",
    "policy.agreement_approved": "Deal approved: agreement recorded",
    "policy.agreement_suspended": "Agreement suspended",
}

describe_actions(POLICY_ACTIONS)
