"""Payouts: revenue received under agreements, member contributions, and statements computed with
the payout policy in force."""
