"""Golden tests: every preset, seed 0, from the CLI, reaches its validation threshold within its
step budget (read from the run's progress.csv, as Coach's golden tests did).

The runs are single-threaded, so they go on as many at once as the machine has CPUs (at most
``COACHRL_TEST_JOBS``, default all): the first test starts every selected preset's run in a
pool, and each test waits for its own.

A batch-RL preset (one with ``run.epochs``) trains from the dataset its threshold was measured
on (``DATASETS``): episodes that ``coachrl collect`` records from another preset's golden run,
which the pool trains first. Its budget is its epochs.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from coachrl.params import ValidationMetric
from coachrl.registry import load_preset, preset_modules

# SAC takes a gradient step per env step (about 4.5 min for all 20k steps on two cores): stop
# at the threshold, which is all this test checks
EXTRA_ARGUMENTS = {"Pendulum_SAC": ["--stop-at-threshold"]}
# presets whose learning run does not fit CI's time: name -> the reason (run with -m long)
LONG = {name: "CI's time: Acrobot_DDQN's 30,000 steps take a gradient step per env step "
        "(10.6 min on two busy cores); -m long runs it and the batch preset its data feeds"
        for name in ("Acrobot_DDQN", "Acrobot_DDQN_BCQ_BatchRL")}


# batch-RL preset -> (the preset whose run logs the data, episodes, epsilon); docs/batch_rl.md
DATASETS = {
    "Acrobot_DDQN_BCQ_BatchRL": ("Acrobot_DDQN", 100, 0.3),
    "CartPole_BC": ("CartPole_DQN", 100, 0.3),
    "CartPole_CQL": ("CartPole_DQN", 100, 0.3),
    "CartPole_DDQN_BCQ_BatchRL": ("CartPole_DQN", 100, 0.3),
    "CartPole_DDQN_BatchRL": ("CartPole_DQN", 100, 0.3),
}


def _presets() -> list:
    """Every registered preset: one added without a threshold run fails here."""
    return [pytest.param(name, marks=pytest.mark.long(reason=LONG[name])) if name in LONG
            else name for name in sorted(preset_modules())]


def _coachrl(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "coachrl", *arguments],
                          capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})  # one CPU per run


def _train(name: str, experiment_dir: Path, *, dataset: Path | None = None
           ) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    batch = ["--dataset", str(dataset), "--stop-at-threshold"] if dataset else []
    done = _coachrl("train", name, "--experiment-dir", str(experiment_dir), "--quiet", *batch,
                    *EXTRA_ARGUMENTS.get(name, []))
    return done, time.perf_counter() - started


class Datasets:
    """Each recipe's dataset, recorded once from its source preset's golden run."""

    def __init__(self, runs: dict[str, Future], folder: Path) -> None:
        self.runs, self.folder, self.lock, self.made = runs, folder, threading.Lock(), {}

    def get(self, name: str) -> Path:
        source, episodes, epsilon = recipe = DATASETS[name]
        with self.lock:
            if recipe not in self.made:
                done, _ = self.runs[source].result()
                assert done.returncode == 0, f"{source}'s run failed: {done.stderr}"
                (run_dir,) = Path(done.args[done.args.index("--experiment-dir") + 1]
                                  ).glob(f"{source}/*")
                out = self.folder / f"{source}-{episodes}-{epsilon}.h5"
                made = _coachrl("collect", str(run_dir), "--episodes", str(episodes),
                                "--epsilon", str(epsilon), "--out", str(out))
                assert made.returncode == 0, made.stderr
                self.made[recipe] = out
            return self.made[recipe]


def is_batch(name: str) -> bool:
    return load_preset(name).run.epochs > 0


def _jobs() -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(int(os.environ.get("COACHRL_TEST_JOBS", cpus or 1)), cpus or 1))


@dataclass(slots=True)
class Golden:
    runs: dict[str, Future[tuple[subprocess.CompletedProcess[str], float]]]
    datasets: Datasets
    ope: Future[dict] | None = None  # coachrl ope's report on OPE_PRESET's run, in the pool

    def run_dir(self, name: str) -> Path:
        done, _ = self.runs[name].result()
        assert done.returncode == 0, done.stdout + done.stderr
        (run_dir,) = Path(done.args[done.args.index("--experiment-dir") + 1]).glob(f"{name}/*")
        return run_dir


@pytest.fixture(scope="module")
def golden_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> Golden:
    """Every preset this session selected, training in a pool of ``_jobs()`` processes."""
    tests = {getattr(item, "originalname", ""): item for item in request.session.items}
    selected = {item.callspec.params["name"] for item in request.session.items
                if getattr(item, "originalname", "") == TEST_NAME}
    if OPE_TEST in tests:
        selected.add(OPE_PRESET)
    selected |= {DATASETS[name][0] for name in selected if name in DATASETS}
    pool = ThreadPoolExecutor(_jobs())
    request.addfinalizer(lambda: pool.shutdown(wait=False, cancel_futures=True))
    runs: dict[str, Future] = {}
    datasets = Datasets(runs, tmp_path_factory.mktemp("datasets"))
    # sources first: a batch run waits for its source's, so the pool must have started that
    for name in sorted(selected, key=lambda n: (is_batch(n), n)):
        folder = tmp_path_factory.mktemp(name)
        runs[name] = (pool.submit(lambda n=name, f=folder: _train(n, f, dataset=datasets.get(n)))
                      if is_batch(name) else pool.submit(_train, name, folder))
    golden = Golden(runs, datasets)
    if OPE_TEST in tests:  # beside the other runs rather than after them
        golden.ope = pool.submit(_ope, golden, tmp_path_factory.mktemp("ope") / "ope.json")
    return golden


def _ope(golden: Golden, out: Path) -> dict:
    """``coachrl ope`` (its defaults: 3 FQE models of 10,000 steps) on OPE_PRESET's golden run
    and its dataset, measuring the run over 10 episodes."""
    done = _coachrl("ope", str(golden.run_dir(OPE_PRESET)), "--dataset",
                    str(golden.datasets.get(OPE_PRESET)), "--measure", "10", "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    print(done.stdout)
    return json.loads(out.read_text())


TEST_NAME = "test_preset_reaches_its_threshold_within_its_budget"
OPE_TEST = "test_off_policy_estimates_of_a_batch_run_hold_its_measured_return"
OPE_PRESET = "CartPole_DDQN_BCQ_BatchRL"


@pytest.mark.slow
@pytest.mark.parametrize("name", _presets())
def test_preset_reaches_its_threshold_within_its_budget(name: str, golden_runs: Golden) -> None:
    preset = load_preset(name)
    validation = preset.validation
    if is_batch(name):
        assert name in DATASETS, f"{name} trains from a dataset: give its recipe in DATASETS"
    run_dir = golden_runs.run_dir(name)
    _, elapsed = golden_runs.runs[name].result()
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
    if is_batch(name):  # within its epochs: one evaluation after each pass over the data
        assert evaluations.index(first) < int(preset.run.epochs), (name, len(evaluations))


@pytest.mark.slow
def test_off_policy_estimates_of_a_batch_run_hold_its_measured_return(golden_runs: Golden
                                                                       ) -> None:
    """``coachrl ope`` on the BCQ golden run and the dataset it trained on: the doubly robust
    estimate of its discounted return is within 20% of the return measured by running it, and
    its interval holds that return; the FQE model's value of the first states (SDM) is within
    20% too."""
    assert golden_runs.ope is not None
    report = golden_runs.ope.result()
    truth = report["measured"]["discounted"]
    sdr, sdm = report["estimates"]["SDR"], report["estimates"]["SDM"]
    assert abs(sdr["value"] - truth) <= 0.2 * abs(truth), (sdr, truth)
    assert sdr["low"] <= truth <= sdr["high"], (sdr, truth)
    assert abs(sdm["value"] - truth) <= 0.2 * abs(truth), (sdm, truth)
