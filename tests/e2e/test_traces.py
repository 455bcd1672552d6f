"""Determinism traces (as Coach had): a short seeded run of every preset equals a stored trace.

Regenerate on purpose with ``python -m pytest tests/e2e/test_traces.py --regenerate-traces``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from coachrl.logging.progress_csv import DETERMINISTIC_COLUMNS
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset, preset_modules
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir

TRACES = Path(__file__).parent.parent / "traces"
TRACE_STEPS, TRACE_SEED = 2_000, 42
SLOW = {"Pendulum_SAC"}  # a gradient step per env step: about 25 s for the trace


def _trace_run(name: str, experiment_dir: Path) -> list[list[str]]:
    preset = apply_overrides(load_preset(name), [
        f"schedule.improve_steps={TRACE_STEPS}", "schedule.evaluation_period=1000",
        "schedule.evaluation_episodes=3", f"run.seed={TRACE_SEED}",
        f"run.experiment_dir={experiment_dir}",
    ])
    run_dir = create_run_dir(preset)
    Trainer(preset, run_dir=run_dir, console=False).run()
    with open(run_dir / "progress.csv", newline="") as handle:
        return [[row[c] for c in DETERMINISTIC_COLUMNS] for row in csv.DictReader(handle)]


def _write(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(DETERMINISTIC_COLUMNS)
        writer.writerows(rows)


def _read(path: Path) -> list[list[str]]:
    with open(path, newline="") as handle:
        return list(csv.reader(handle))[1:]


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if name in SLOW
                                  else name for name in sorted(preset_modules())])
def test_seeded_short_run_matches_the_stored_trace(
        name: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    rows = _trace_run(name, tmp_path)
    path = TRACES / f"{name}.csv"
    if request.config.getoption("--regenerate-traces"):
        TRACES.mkdir(exist_ok=True)
        _write(path, rows)
    assert path.is_file(), f"no stored trace for {name}; run with --regenerate-traces"
    stored = _read(path)
    for index, (got, want) in enumerate(zip(rows, stored, strict=False)):
        assert got == want, f"{name}: row {index + 1} differs from {path}"
    assert len(rows) == len(stored)
    assert len(rows) > 5


def test_the_same_seed_gives_the_same_run(tmp_path: Path) -> None:
    assert _trace_run("CartPole_DQN", tmp_path / "a") == _trace_run("CartPole_DQN", tmp_path / "b")
