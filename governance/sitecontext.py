"""What services need to know about the site, without reading Flask's config themselves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class SiteSettings:
    secret_key: str
    base_url: str
    cooperative_name: str
    invitation_max_age_seconds: int
    reset_max_age_seconds: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SiteSettings:
        return cls(
            secret_key=config["SECRET_KEY"],
            base_url=config["BASE_URL"].rstrip("/"),
            cooperative_name=config["COOPERATIVE_NAME"],
            invitation_max_age_seconds=int(config["INVITATION_MAX_AGE_DAYS"]) * 86400,
            reset_max_age_seconds=int(config["RESET_MAX_AGE_HOURS"]) * 3600,
        )


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(when: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
