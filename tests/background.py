"""Checks that run as subprocesses from the start of the session, beside the tests, and that a
test later waits for (mypy takes about two minutes of one CPU without a cache).

    start(session)                       # tests/conftest.py, once the session is collected
    done = finished("mypy")              # in the test: the CompletedProcess
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# check name -> (the test that reads it, the command)
CHECKS = {
    "mypy": ("test_mypy_finds_no_type_errors",
             [sys.executable, "-m", "mypy", "--no-incremental", "coachrl", "agents",
              "environments", "presets", "dashboards"]),
}

_running: dict[str, tuple[subprocess.Popen[str], Path]] = {}


def start(session: pytest.Session) -> None:
    """Start each check whose test the session selected."""
    selected = {getattr(item, "originalname", "") for item in session.items}
    for name, (test, command) in CHECKS.items():
        if test in selected and name not in _running:
            out = Path(tempfile.mkstemp(prefix=f"coachrl-{name}-", suffix=".log")[1])
            with open(out, "w") as handle:
                process = subprocess.Popen(command, cwd=ROOT, stdout=handle,
                                           stderr=subprocess.STDOUT, text=True)
            _running[name] = (process, out)


def finished(name: str) -> subprocess.CompletedProcess[str]:
    """The check's outcome, waiting for it (started here if the session did not)."""
    if name not in _running:
        _, command = CHECKS[name]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    process, out = _running.pop(name)
    code = process.wait()
    output = out.read_text()
    out.unlink(missing_ok=True)
    return subprocess.CompletedProcess(process.args, code, output, "")


def stop() -> None:
    """End checks no test waited for (an interrupted session)."""
    for process, out in _running.values():
        process.kill()
        process.wait()
        out.unlink(missing_ok=True)
    _running.clear()
