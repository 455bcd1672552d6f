"""Shared fixtures; the directory of a test sets its tier marker (unit, integration, e2e)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests import background

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
    # a test that reads a background job's outcome (tests/background.py) runs after the rest,
    # so that the suite does its own work while the job runs instead of waiting for it at once
    # (the Atari presets' CLI runs, first in the suite's order, kept it waiting 141 s of a
    # 2,476 s run on 2026-12-02, while at the end the golden pool's core idled 250 s); a module
    # with RUN_LAST (the golden tests) after those, its runs trained beside everything else
    readers = {job.test for job in background.JOBS.values()}
    items.sort(key=lambda item: (bool(getattr(getattr(item, "module", None), "RUN_LAST", False)),
                                 item.name in readers))
    # ``long``: a learning run too long for CI; only a -m expression naming it selects it
    if "long" not in (config.getoption("markexpr", "") or ""):
        long = [item for item in items if item.get_closest_marker("long")]
        if long:
            config.hook.pytest_deselected(items=long)
            items[:] = [item for item in items if not item.get_closest_marker("long")]


def pytest_collection_finish(session: pytest.Session) -> None:
    """The slow checks of the selected tests start now, beside them (tests/background.py)."""
    background.start(session)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run that collected nothing, or that skipped what it must run, fails (see below)."""
    background.stop()
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
    elif _unexpected_skips and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    _finished.append(session)


_finished: list[pytest.Session] = []


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """A session that used Ray ends here, with its exit status, before the interpreter's
    finalisation: there a thread of Ray's gRPC client (the faulting bytes held
    "rpc.NodeInfoGcsService/GetAllNodeInfo") jumped into freed memory after ray.shutdown(), in 3
    of 5 full runs on 2026-12-01/02, turning a green summary into exit code 139. Nothing the
    tests check happens after this hook; pytest's own temporary directories are left as they
    are (it prunes them at its next start)."""
    if not _finished or "ray" not in sys.modules or hasattr(config, "workerinput"):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(_finished[-1].exitstatus))


@pytest.fixture
def experiment_dir(tmp_path: Path) -> Path:
    """A fresh experiments directory for runs made by a test."""
    path = tmp_path / "experiments"
    path.mkdir()
    return path


FIXED_LENGTH_ENV = "coachrl.environments.toy:FixedLengthEnv"


@pytest.fixture(scope="session")
def trained_dqn_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One short CartPole_DQN run (6,000 env steps, seed 0, evaluations at 3,000 and 6,000)
    that tests of export, datasets and batch RL read and never change."""
    from coachrl.api import train

    return train("CartPole_DQN", seed=0, experiment_dir=tmp_path_factory.mktemp("dqn_run"),
                 overrides={"schedule.improve_steps": 6000,
                            "schedule.evaluation_period": 3000}).run_dir


# the step counts of a batch-RL preset's short test runs: transitions trained on, not epochs
BATCH_TEST_OVERRIDES = ("run.epochs=0",)


@pytest.fixture(scope="session")
def batch_overrides(tmp_path_factory: pytest.TempPathFactory):
    """``overrides(name)``: what a short test run of preset ``name`` adds to train, which for a
    batch-RL preset (one with ``run.epochs``) is a dataset of 20 uniformly random episodes of
    its env (seed 0, recorded once per env) and counts in transitions; nothing otherwise."""
    from coachrl.collect import collect
    from coachrl.registry import load_preset

    made: dict[str, Path] = {}

    def overrides(name: str) -> list[str]:
        preset = load_preset(name)
        if not preset.run.epochs:
            return []
        env_id = preset.env.env_id
        if env_id not in made:
            out = tmp_path_factory.mktemp("random_data") / f"{env_id}.h5"
            made[env_id], _ = collect(name, random=True, episodes=20, out=out, seed=0)
        return [f"run.dataset={made[env_id]}", *BATCH_TEST_OVERRIDES]
    return overrides


# Hardware or privileges this machine may lack: a test carrying one of these markers may skip.
# Everything else must run: a skipped test, or a module skipped while it is collected (a
# module-level importorskip or skip(allow_module_level=True), which no marker can excuse), fails
# the run.
ALLOWED_SKIP_MARKERS = ("gpu", "netns")
# outside CI a browser test may skip when Chromium is missing (it prints the install command);
# under CI=true it must run
if os.environ.get("CI", "").lower() != "true":
    ALLOWED_SKIP_MARKERS += ("browser",)
_unexpected_skips: list[str] = []
_seconds_per_file: dict[str, float] = {}  # setup, call and teardown of each file's tests


def _skip_reason(report: pytest.CollectReport | pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # (path, lineno, "Skipped: why")
        return str(longrepr[2])
    return str(longrepr)


def pytest_sessionstart(session: pytest.Session) -> None:
    _unexpected_skips.clear()
    _seconds_per_file.clear()


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped:
        _unexpected_skips.append(
            f"{report.nodeid or '.'} (whole module skipped at collection: {_skip_reason(report)})")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::", 1)[0]
    _seconds_per_file[path] = _seconds_per_file.get(path, 0.0) + report.duration
    # an expected failure reports as skipped, but it ran: xfail_strict (pyproject.toml) makes
    # one that passes fail the run, so a known gap that closes unnoticed cannot hide here
    if hasattr(report, "wasxfail"):
        return
    if report.skipped and not any(m in report.keywords for m in ALLOWED_SKIP_MARKERS):
        _unexpected_skips.append(f"{report.nodeid} ({_skip_reason(report)})")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    golden = sys.modules.get("tests.e2e.golden")  # where the golden pool's time went
    if golden is not None and golden.SUMMARY:
        terminalreporter.write_sep("-", "golden runs")
        for line in golden.SUMMARY:
            terminalreporter.write_line(line)
    if _seconds_per_file:  # where the suite's own process spent its time (CI's 40 minutes)
        terminalreporter.write_sep("-", "seconds per test file (the 25 longest)")
        ranked = sorted(_seconds_per_file.items(), key=lambda item: -item[1])
        for path, seconds in ranked[:25]:
            terminalreporter.write_line(f"{seconds:8.1f}  {path}")
        terminalreporter.write_line(f"{sum(_seconds_per_file.values()):8.1f}  all "
                                    f"{len(ranked)} files")
    if _unexpected_skips:
        terminalreporter.write_line(
            "FAILED: these were skipped; install what they need instead (pip install -e "
            "'.[test]'), or mark a test that needs hardware or root with one of "
            f"{', '.join(ALLOWED_SKIP_MARKERS)} and skip it inside the test:", red=True)
        for entry in _unexpected_skips:
            terminalreporter.write_line(f"  {entry}", red=True)
