"""The README's quick start is what CI runs: the test line in .ci/run must be the README's line."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.strip().startswith("python3 -m venv")]


def test_quick_start_has_exactly_two_commands_demo_and_tests() -> None:
    commands = _quick_start_commands()
    assert len(commands) == 2
    assert any("dataguild demo" in c for c in commands)
    assert any("pytest" in c for c in commands)


def test_ci_runs_the_readme_test_command() -> None:
    test_command = next(c for c in _quick_start_commands() if "pytest" in c)
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines
