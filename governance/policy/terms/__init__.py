"""The terms policy is written in, pure: vocabulary, proposal bodies, reading them, rule changes, deal conflicts."""
