"""The machine API (``/api/v1/...``): JSON in, JSON out, no login, no CSRF (no cookies are read)."""
