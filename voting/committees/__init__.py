"""Trustee committees on the server: appointing them, the key ceremony's public messages, their pages."""
