"""Shared fixtures; the directory of a test sets its tier marker (unit, integration, e2e)."""

from __future__ import annotations

from pathlib import Path

import pytest

TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        for tier in TIERS:
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run that collected nothing must fail, not pass quietly (pytest exit code 5)."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.USAGE_ERROR


@pytest.fixture
def experiment_dir(tmp_path: Path) -> Path:
    """A fresh experiments directory for runs made by a test."""
    path = tmp_path / "experiments"
    path.mkdir()
    return path


FIXED_LENGTH_ENV = "coachrl.environments.toy:FixedLengthEnv"
