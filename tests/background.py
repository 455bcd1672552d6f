"""Work that runs as subprocesses from the start of the session, beside the tests, and that a
test later waits for.

Checks (mypy takes about two minutes of one CPU without a cache) start at once, each in its own
process. Jobs are commands a test module declares when it is imported (``job``): the session's
selected ones run one after another in a single process beside the suite, so that a test whose
work is only a subprocess (a benchmark's quick run, a preset trained from the CLI) finds its
outcome ready when the suite reaches it, and that work is done on the CPU the golden runs
(tests/e2e/golden.py) leave to the rest of the suite.

    start(session)                       # tests/conftest.py, once the session is collected
    done = finished("mypy")              # in the test: the CompletedProcess
    job("benchmark[rollout]", "test_benchmark_runs[rollout]", command, timeout=120)  # at import
    done = outcome("benchmark[rollout]")  # in the test: the job's CompletedProcess
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class Job:
    """A command whose outcome one test reads; run beside the suite if the test is selected."""

    test: str  # the test's name as pytest's item.name has it (parameters included)
    command: list[str]
    timeout: float
    env: dict[str, str] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)
    result: subprocess.CompletedProcess[str] | BaseException | None = None
    queued: bool = False

    def run(self, stopping: threading.Event | None = None) -> subprocess.CompletedProcess[str]:
        """The command's outcome (a timeout is a failed one, its output kept)."""
        process = subprocess.Popen(self.command, cwd=ROOT, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True,
                                   env={**os.environ, **self.env})
        _processes.add(process)
        try:
            stdout, stderr = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
            stderr += f"\n(killed after its {self.timeout:.0f} s timeout)"
        finally:
            _processes.discard(process)
        if stopping is not None and stopping.is_set():
            raise RuntimeError("the session ended before this job finished")
        return subprocess.CompletedProcess(self.command, process.returncode, stdout, stderr)


JOBS: dict[str, Job] = {}
_processes: set[subprocess.Popen[str]] = set()
_stopping = threading.Event()


def job(key: str, test: str, command: list[str], *, timeout: float,
        env: dict[str, str] | None = None) -> None:
    """Declare ``command`` as the work of ``test`` (its item name), read back by
    ``outcome(key)``."""
    JOBS[key] = Job(test, command, timeout, dict(env or {}))


_FOLDERS = Path(tempfile.gettempdir()) / f"coachrl-jobs-{os.getpid()}"


def train_job(key: str, test: str, preset: str, *arguments: str) -> None:
    """``coachrl train preset`` on one CPU as ``test``'s job, its run under ``out_dir(key)``."""
    job(key, test, [sys.executable, "-m", "coachrl", "train", preset, "--quiet",
                    "--experiment-dir", str(out_dir(key)), *arguments],
        timeout=600, env={"OMP_NUM_THREADS": "1"})


def out_dir(key: str) -> Path:
    """A folder for ``key``'s job to write into (made once; removed when the session ends)."""
    folder = _FOLDERS / "".join(c if c.isalnum() else "_" for c in key)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _work(queue: list[Job]) -> None:
    for item in queue:
        if _stopping.is_set():
            break
        try:
            item.result = item.run(_stopping)
        except BaseException as exc:  # handed to the test that reads it
            item.result = exc
        item.done.set()


def start(session: pytest.Session) -> None:
    """Start each check whose test the session selected, and the selected jobs' queue."""
    selected = {getattr(item, "originalname", "") for item in session.items}
    for name, (test, command) in CHECKS.items():
        if test in selected and name not in _running:
            out = Path(tempfile.mkstemp(prefix=f"coachrl-{name}-", suffix=".log")[1])
            with open(out, "w") as handle:
                process = subprocess.Popen(command, cwd=ROOT, stdout=handle,
                                           stderr=subprocess.STDOUT, text=True)
            _running[name] = (process, out)
    names = {item.name for item in session.items}
    queue = [item for item in JOBS.values() if item.test in names and not item.queued]
    for item in queue:
        item.queued = True
    if queue:
        _stopping.clear()
        threading.Thread(target=_work, args=(queue,), name="test-jobs", daemon=True).start()


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


def outcome(key: str) -> subprocess.CompletedProcess[str]:
    """``key``'s job's outcome: waited for if it is queued, run now if it is not."""
    item = JOBS[key]
    if not item.queued:
        return item.run()
    item.done.wait()
    if isinstance(item.result, BaseException):
        raise item.result
    assert item.result is not None
    return item.result


def stop() -> None:
    """End checks and jobs no test waited for (an interrupted session)."""
    for process, out in _running.values():
        process.kill()
        process.wait()
        out.unlink(missing_ok=True)
    _running.clear()
    _stopping.set()
    for process in list(_processes):
        process.kill()
    shutil.rmtree(_FOLDERS, ignore_errors=True)
