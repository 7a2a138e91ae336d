"""Policy in plain words, pure: bodies described, their display fields, differences between versions."""
