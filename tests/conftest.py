"""Shared fixtures; the directory of a test sets its tier marker (unit, integration, e2e)."""

from __future__ import annotations

from pathlib import Path

import pytest

TIERS = ("unit", "integration", "e2e")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regenerate-traces", action="store_true",
                     help="rewrite tests/traces/*.csv from fresh runs instead of comparing")


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
    elif _unexpected_skips and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def experiment_dir(tmp_path: Path) -> Path:
    """A fresh experiments directory for runs made by a test."""
    path = tmp_path / "experiments"
    path.mkdir()
    return path


FIXED_LENGTH_ENV = "coachrl.environments.toy:FixedLengthEnv"


# hardware or privileges this machine may lack; everything else must run
ALLOWED_SKIP_MARKERS = ("gpu", "netns")
_unexpected_skips: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not any(m in report.keywords for m in ALLOWED_SKIP_MARKERS):
        _unexpected_skips.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    if _unexpected_skips:
        terminalreporter.write_line(
            "FAILED: these tests were skipped; install what they need instead: "
            + ", ".join(_unexpected_skips), red=True)
