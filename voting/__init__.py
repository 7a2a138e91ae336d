"""Voting: ballots, bulletin board, receipts, trustees, tallies."""
