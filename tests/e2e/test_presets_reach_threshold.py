"""Golden tests: every preset, seed 0, from the CLI, reaches its validation threshold within its
step budget (read from the run's progress.csv, as Coach's golden tests did).

The runs are single-threaded, so they go on as many at once as the machine has CPUs (at most
``COACHRL_TEST_JOBS``, default all): the first test starts every selected preset's run in a
pool, and each test waits for its own.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from coachrl.params import ValidationMetric
from coachrl.registry import load_preset, preset_modules

# SAC takes a gradient step per env step (about 4.5 min for all 20k steps on two cores): stop
# at the threshold, which is all this test checks
EXTRA_ARGUMENTS = {"Pendulum_SAC": ["--stop-at-threshold"]}
# presets whose learning run does not fit CI's time: name -> the reason (run with -m long)
LONG: dict[str, str] = {}


def _presets() -> list:
    """Every registered preset: one added without a threshold run fails here."""
    return [pytest.param(name, marks=pytest.mark.long(reason=LONG[name])) if name in LONG
            else name for name in sorted(preset_modules())]


def _train(name: str, experiment_dir: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "coachrl", "train", name,
                           "--experiment-dir", str(experiment_dir), "--quiet",
                           *EXTRA_ARGUMENTS.get(name, [])],
                          capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})  # one CPU per run
    return done, time.perf_counter() - started


def _jobs() -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(int(os.environ.get("COACHRL_TEST_JOBS", cpus or 1)), cpus or 1))


@pytest.fixture(scope="module")
def golden_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> dict[str, Future[tuple[subprocess.CompletedProcess[str], float]]]:
    """Every preset this session selected, training in a pool of ``_jobs()`` processes."""
    selected = [item.callspec.params["name"] for item in request.session.items
                if getattr(item, "originalname", "") == TEST_NAME]
    pool = ThreadPoolExecutor(_jobs())
    request.addfinalizer(lambda: pool.shutdown(wait=False, cancel_futures=True))
    return {name: pool.submit(_train, name, tmp_path_factory.mktemp(name))
            for name in selected}


TEST_NAME = "test_preset_reaches_its_threshold_within_its_budget"


@pytest.mark.slow
@pytest.mark.parametrize("name", _presets())
def test_preset_reaches_its_threshold_within_its_budget(name: str, golden_runs: dict) -> None:
    validation = load_preset(name).validation
    done, elapsed = golden_runs[name].result()
    tmp_path = Path(done.args[done.args.index("--experiment-dir") + 1])
    assert done.returncode == 0, done.stdout + done.stderr
    (run_dir,) = tmp_path.glob(f"{name}/*")
    with open(run_dir / "progress.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    column = ("Evaluation Success Rate" if validation.metric is ValidationMetric.SUCCESS_RATE
              else "Evaluation Reward")
    evaluations = [row for row in rows if row["Evaluation Reward"]]
    assert evaluations, "the run logged no evaluation"
    reached = [row for row in evaluations
               if float(row[column] or "-inf") >= validation.min_reward]
    best = max(float(row[column] or "-inf") for row in evaluations)
    assert reached, f"{name} never reached {validation.min_reward} (best evaluation {best})"
    first = reached[0]
    steps, seconds = int(first["Total steps"]), float(first["Wall-Clock Time"])
    print(f"{name}: evaluation {validation.metric.value} {first[column]} >= "
          f"{validation.min_reward} "
          f"at {steps} env steps, {seconds:.1f} s into training (whole run {elapsed:.1f} s)")
    assert steps <= validation.max_env_steps
