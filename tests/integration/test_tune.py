"""``coachrl tune`` as a user runs it: a study on CartPole_DQN whose learning-rate range holds
values that fail finds one that learns, prunes trials, survives a SIGKILL midway without
repeating finished trials, and runs two trials at once on two Ray workers."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coachrl.errors import ConfigError
from coachrl.registry import load_preset
from coachrl.tune import (
    ParamRange,
    TrialRecord,
    TuneSettings,
    best_trial,
    check_settings,
    prepare_study_dir,
    write_preset,
)

pytestmark = pytest.mark.integration
LEARNING_RATES = "agent.learning_rate=loguniform:1e-5:0.3"  # both ends fail within the budget
STATED_RETURN = 150.0  # the best trial's evaluation return, within 4,000 env steps
TRIALS = 12


def _tune(study: Path, *extra: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "coachrl", "tune", "CartPole_DQN", "--param", LEARNING_RATES,
            "--budget", "4000", "--evaluation-period", "1000", "--startup-trials", "2",
            "--study-dir", str(study), *extra]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _rows(study: Path) -> list[dict[str, str]]:
    with (study / "trials.csv").open() as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
@pytest.mark.ray
def test_a_study_finds_a_rate_that_learns_prunes_and_resumes_after_a_kill(tmp_path: Path
                                                                          ) -> None:
    study = tmp_path / "study"
    first = _tune(study, "--trials", str(TRIALS))
    finished: dict[int, str] = {}
    assert first.stdout is not None
    for line in first.stdout:  # kill the study once four trials have finished
        match = re.match(r"trial (\d+) (complete|pruned|fail)", line)
        if match:
            finished[int(match.group(1))] = match.group(2)
        if len(finished) == 4:
            os.killpg(first.pid, signal.SIGKILL)
            break
    first.wait(timeout=60)
    assert len(finished) == 4, f"the study ended before four trials: {finished}"
    assert not (study / "trials.csv").exists()  # it was killed before its table

    second = _tune(study, "--trials", str(TRIALS), "--out", str(tmp_path / "tuned.py"))
    output, _ = second.communicate(timeout=900)
    assert second.returncode == 0, output
    assert "resuming: 4 of 12 trials finished already" in output
    rows = _rows(study)
    assert len(rows) == TRIALS, output
    for number, state in finished.items():  # kept, not run again
        row = next(r for r in rows if int(r["trial"]) == number)
        assert row["state"].lower() == state
        started_again = re.findall(rf"^trial {number} started", output, re.MULTILINE)
        assert not started_again, output
        runs = list((study / "trials" / f"trial_{number:03d}" / "CartPole_DQN").iterdir())
        assert len(runs) == 1, runs
    pruned = [r for r in rows if r["state"] == "PRUNED"]
    assert len(pruned) >= TRIALS / 4, rows
    assert all(int(r["env_steps"]) < 4000 for r in pruned)
    best = max(float(r["score"]) for r in rows if r["state"] == "COMPLETE")
    assert best >= STATED_RETURN, rows
    tuned = load_preset(str(tmp_path / "tuned.py"))
    best_row = next(r for r in rows if r["score"] and float(r["score"]) == best)
    assert tuned.agent.learning_rate == pytest.approx(float(best_row["agent.learning_rate"]))
    for row in rows:  # every trial's run feeds TensorBoard's HParams view
        if row["run_dir"]:
            assert list((Path(row["run_dir"]) / "tensorboard").glob("**/events.out.*"))


@pytest.mark.slow
@pytest.mark.ray
def test_two_workers_run_two_trials_at_once(tmp_path: Path) -> None:
    study = tmp_path / "study"
    start = time.monotonic()
    done = _tune(study, "--trials", "2", "--workers", "2", "--budget", "3000")
    output, _ = done.communicate(timeout=600)
    assert done.returncode == 0, output
    rows = _rows(study)
    assert len(rows) == 2
    (a_start, a_end), (b_start, b_end) = ((float(r["started"]), float(r["finished"]))
                                          for r in rows)
    assert a_start < b_end and b_start < a_end, rows  # their training overlapped
    assert time.monotonic() - start < 600


def _settings(**changes: object) -> TuneSettings:
    values: dict = {"preset": "CartPole_DQN", "params": [ParamRange.parse(LEARNING_RATES)],
                    "trials": 3, "budget": 1000}
    values.update(changes)
    return TuneSettings(**values)  # type: ignore[arg-type]


def test_param_ranges_parse_and_bad_ones_name_the_valid_forms() -> None:
    assert ParamRange.parse("a.b=choice:32,64") == ParamRange("a.b", "choice",
                                                              choices=("32", "64"))
    assert ParamRange.parse("x=int:1:8").examples() == ["1", "8"]
    for bad, message in (("agent.learning_rate=gauss:1:2", "KIND one of loguniform"),
                         ("agent.learning_rate", "expected KEY=KIND:ARGS"),
                         ("x=loguniform:0:1", "both positive"),
                         ("x=uniform:2:1", "LOW < HIGH"),
                         ("x=int:1.5:3", "whole numbers"),
                         ("x=choice:1", "at least two values"),
                         ("x=uniform:a:b", "LOW:HIGH numbers")):
        with pytest.raises(ConfigError, match=message):
            ParamRange.parse(bad)


def test_settings_are_checked_before_any_trial(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="learning_rat"):
        check_settings(_settings(params=[ParamRange.parse("agent.learning_rat=uniform:0:1")]))
    with pytest.raises(ConfigError, match="at least 1"):
        check_settings(_settings(trials=0))
    with pytest.raises(ConfigError, match="at least one --param"):
        check_settings(_settings(params=[]))
    prepare_study_dir(tmp_path, _settings())
    prepare_study_dir(tmp_path, _settings(trials=9, workers=2))  # more trials: the same study
    with pytest.raises(ConfigError, match="budget"):
        prepare_study_dir(tmp_path, _settings(budget=2000))


def test_the_tuned_preset_file_loads_with_the_best_values(tmp_path: Path) -> None:
    records = [TrialRecord(0, "COMPLETE", 120.0, {"agent.learning_rate": 1e-3}),
               TrialRecord(1, "PRUNED", 300.0, {"agent.learning_rate": 1e-2}),
               TrialRecord(2, "COMPLETE", 180.0, {"agent.learning_rate": 5e-4})]
    best = best_trial(records)
    assert best is not None and best.number == 2  # a pruned trial's partial score never wins
    out = tmp_path / "tuned_CartPole_DQN.py"
    write_preset(out, _settings(overrides=["agent.algorithm.batch_size=32"]), best, tmp_path)
    preset = load_preset(str(out))
    assert preset.name == "tuned_CartPole_DQN"
    assert preset.agent.learning_rate == 5e-4 and preset.agent.algorithm.batch_size == 32
