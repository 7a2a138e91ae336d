"""Imports every models module, so that ``Base.metadata`` (Alembic, create_all) sees all tables."""

# [models] each package adds its models module below
from governance.audit import models as audit_models  # noqa: F401
