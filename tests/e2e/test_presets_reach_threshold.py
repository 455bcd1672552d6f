"""Golden tests: every preset, seed 0, from the CLI, reaches its validation threshold within its
step budget (read from the run's progress.csv, as Coach's golden tests did); a negative control
(tests/e2e/golden.py's ``CONTROLS``) instead stays below its ceiling for its whole budget.

The runs train in the background from the session's first e2e test on (tests/e2e/golden.py);
these tests run last and wait for them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from coachrl.params import ValidationMetric
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset, preset_modules
from tests.e2e.golden import CONTROLS, DATASETS, LONG, Golden, is_batch

RUN_LAST = True  # tests/conftest.py: after the rest of the suite, beside which the runs trained


def _presets() -> list:
    """Every registered preset but the negative controls (whose Validation is the bar they must
    miss; test_negative_control_... checks them): one added without a threshold run fails here."""
    return [pytest.param(name, marks=pytest.mark.long(reason=LONG[name])) if name in LONG
            else name for name in sorted(preset_modules()) if name not in CONTROLS]


def _evaluations(run_dir: Path) -> list[dict[str, str]]:
    """The progress rows of a run that hold an evaluation."""
    with open(run_dir / "progress.csv", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["Evaluation Reward"]]


@pytest.fixture
def golden(golden_runs: Golden) -> Golden:
    return golden_runs.all_cpus()


@pytest.mark.slow
@pytest.mark.parametrize("name", _presets())
def test_preset_reaches_its_threshold_within_its_budget(name: str, golden: Golden) -> None:
    preset = load_preset(name)
    validation = preset.validation
    if is_batch(name):
        assert name in DATASETS, f"{name} trains from a dataset: give its recipe in DATASETS"
    run_dir = golden.run_dir(name)
    _, elapsed = golden.runs[name].result()
    column = ("Evaluation Success Rate" if validation.metric is ValidationMetric.SUCCESS_RATE
              else "Evaluation Reward")
    evaluations = _evaluations(run_dir)
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
@pytest.mark.parametrize("name", sorted(CONTROLS))
def test_negative_control_stays_below_its_ceiling_where_its_counterpart_learns(
        name: str, golden: Golden) -> None:
    """BitFlip_DQN: BitFlip_DQN_HER without hindsight, nothing else changed, trained for the
    same whole budget, never succeeds in more than 10% of its evaluation episodes, while the
    counterpart's golden run reaches its threshold (success rate 0.9)."""
    counterpart, ceiling = CONTROLS[name]
    control, learner = load_preset(name), load_preset(counterpart)
    with_hindsight = apply_overrides(control, [
        f"agent.memory.hindsight={learner.agent.memory.hindsight.value}"])
    assert (with_hindsight.agent, with_hindsight.env, with_hindsight.schedule,
            with_hindsight.validation) == (learner.agent, learner.env, learner.schedule,
                                           learner.validation), "the control differs in more"
    evaluations = _evaluations(golden.run_dir(name))
    rates = [float(row["Evaluation Success Rate"]) for row in evaluations]
    steps = int(evaluations[-1]["Total steps"])
    print(f"{name}: success rates {rates} over {steps} env steps (ceiling {ceiling})")
    assert steps >= control.validation.max_env_steps, "the control stopped before its budget"
    assert max(rates) <= ceiling, f"{name} succeeded in {max(rates)} of its evaluation episodes"
    learned = [float(row["Evaluation Success Rate"])
               for row in _evaluations(golden.run_dir(counterpart))]
    assert max(learned) >= learner.validation.min_reward, (counterpart, learned)


@pytest.mark.slow
def test_off_policy_estimates_of_a_batch_run_hold_its_measured_return(golden: Golden) -> None:
    """``coachrl ope`` on the BCQ golden run and the dataset it trained on: the doubly robust
    estimate of its discounted return is within 20% of the return measured by running it, and
    its interval holds that return; the FQE model's value of the first states (SDM) is within
    20% too."""
    assert golden.ope is not None
    report = golden.ope.result()
    truth = report["measured"]["discounted"]
    sdr, sdm = report["estimates"]["SDR"], report["estimates"]["SDM"]
    assert abs(sdr["value"] - truth) <= 0.2 * abs(truth), (sdr, truth)
    assert sdr["low"] <= truth <= sdr["high"], (sdr, truth)
    assert abs(sdm["value"] - truth) <= 0.2 * abs(truth), (sdm, truth)
