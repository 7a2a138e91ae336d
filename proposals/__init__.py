"""Proposals: drafting, versions, amendments, discussion, lifecycle."""
