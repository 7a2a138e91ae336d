"""The composition root: ``create_app`` wires config, database, CSRF and every blueprint."""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from governance import db, security
from governance.config import load_config

_PACKAGE_DIR = Path(__file__).resolve().parent


def site_dir(name: str) -> str:
    """``templates`` or ``static``: in a checkout they sit at the repository root; an installed
    wheel carries them inside the package (see pyproject's force-include)."""
    shipped = _PACKAGE_DIR / "_site" / name
    if shipped.is_dir():
        return str(shipped)
    return str(_PACKAGE_DIR.parent / name)


def default_instance_path() -> str:
    return os.environ.get("DATAGUILD_INSTANCE_PATH") or str(Path.cwd() / "instance")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the site. ``config`` overrides settings read from ``DATAGUILD_*`` variables."""
    overrides = dict(config or {})
    instance_path = str(overrides.pop("INSTANCE_PATH", None) or default_instance_path())
    app = Flask(
        "governance",
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=site_dir("templates"),
        static_folder=site_dir("static"),
    )
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(Path(instance_path), overrides))

    db.init_app(app)
    security.init_app(app)
    _register_blueprints(app)
    return app


#: "module:attribute" of every blueprint, in registration order. Imported inside create_app, so
#: importing this module has no side effects.
BLUEPRINTS: tuple[str, ...] = (
    # [blueprints] each package adds its blueprint here
    "governance.pages.views:bp",
    "governance.auth.views:bp",
    "governance.members.views:bp",
    "governance.mail.views:bp",
    "governance.audit.views:bp",
    "governance.constitution.views:bp",
    "governance.policy.views:bp",
    "governance.policy.policy_views:bp",
    "governance.policy.odrl.views:bp",
    "governance.payouts.views:bp",
    "proposals.views:bp",
    "proposals.api:bp",
    "voting.elections.ballot_views:bp",
    "voting.elections.board_views:bp",
    "voting.elections.api:bp",
    "governance.api.views:bp",
    "governance.api.token_views:bp",
    "governance.members.api:bp",
    "governance.policy.api:bp",
    "governance.payouts.api:bp",
    "governance.policy.decisions.views:bp",
    "governance.webhooks.views:bp",
    "voting.committees.views:bp",
    "voting.trustees.api:bp",
    "voting.counting.views:bp",
    "voting.counting.record_views:bp",
    "voting.counting.api:bp",
    "voting.trustees.desk_views:bp",
)


def _register_blueprints(app: Flask) -> None:
    for spec in BLUEPRINTS:
        module_name, attr = spec.split(":")
        app.register_blueprint(getattr(importlib.import_module(module_name), attr))
