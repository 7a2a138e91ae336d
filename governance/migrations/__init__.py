"""Alembic migrations (script location). Run with ``dataguild db upgrade``; there is no alembic.ini."""
