"""The console script itself: help without configuration, clear errors instead of tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from governance.cli import main


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("DATAGUILD_SECRET_KEY", "DATAGUILD_ENV", "DATAGUILD_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATAGUILD_INSTANCE_PATH", str(tmp_path / "instance"))
    return tmp_path


def test_help_lists_commands_without_any_configuration(production_env: Path) -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("audit", "constitution", "db", "demo", "member", "serve"):
        assert command in result.output
    assert "Traceback" not in result.output


def test_production_without_secret_key_is_a_clear_error(production_env: Path) -> None:
    result = CliRunner().invoke(main, ["constitution", "show"])
    assert result.exit_code == 1
    assert "DATAGUILD_SECRET_KEY must be set in production" in result.output
    assert "Traceback" not in result.output


def test_command_on_unmigrated_database_says_to_upgrade(production_env: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAGUILD_ENV", "development")
    result = CliRunner().invoke(main, ["constitution", "show"])
    assert result.exit_code == 1
    assert "dataguild db upgrade" in result.output
