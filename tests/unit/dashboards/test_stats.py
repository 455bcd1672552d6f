"""Report statistics against synthetic runs whose curves are known exactly."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from synthetic_runs import FAST_OFFSETS, SLOW_VALUES, THRESHOLD

from coachrl.dashboards.runs import discover_runs
from coachrl.dashboards.stats import (
    config_differences,
    group_runs,
    mean_ci,
    steps_to_threshold,
    summarise,
    t_quantile_975,
)


def test_t_quantiles_match_tables() -> None:
    assert t_quantile_975(1) == pytest.approx(12.706)
    assert t_quantile_975(4) == pytest.approx(2.776)
    assert t_quantile_975(60) == pytest.approx(2.000, abs=0.002)
    assert t_quantile_975(10_000) == pytest.approx(1.96, abs=0.001)


def test_mean_ci_of_three_and_one_sample() -> None:
    interval = mean_ci([99.0, 100.0, 101.0])
    half = 4.303 * 1.0 / math.sqrt(3)  # t(0.975, 2) * sample std / sqrt(n)
    assert (interval.mean, interval.n) == (100.0, 3)
    assert interval.low == pytest.approx(100 - half, abs=1e-3)
    assert interval.high == pytest.approx(100 + half, abs=1e-3)
    single = mean_ci([7.0, float("nan")])
    assert single.n == 1 and single.mean == 7.0 and math.isnan(single.low)


def test_runs_are_found_and_grouped(synthetic_runs: dict[str, Path]) -> None:
    runs = discover_runs(list(synthetic_runs.values()))
    by_preset = group_runs(runs, "preset")
    assert {k: len(v) for k, v in by_preset.items()} == {
        "Fast_DQN": 3, "Slow_PPO": 2, "coach:CartPole_DQN": 1}
    assert {k: len(v) for k, v in group_runs(runs, "agent").items()} == {
        "DQN": 3, "ClippedPPO": 2, "coach": 1}
    assert {k: len(v) for k, v in group_runs(runs, "tag").items()} == {
        "fast": 3, "slow": 2, "coach": 1}
    assert sorted(r.seed for r in by_preset["Fast_DQN"]) == [0, 1, 2]
    coach = by_preset["coach:CartPole_DQN"][0]
    assert coach.source == "coach" and len(coach.evaluation.values) == 8


def test_curves_share_the_grid_all_seeds_cover(synthetic_runs: dict[str, Path]) -> None:
    runs = discover_runs([synthetic_runs["fast"], synthetic_runs["slow"]])
    fast, slow = summarise(group_runs(runs, "preset"), axis="env_steps")
    assert fast.curve.x[0] == 1000 and fast.curve.x[-1] == 10_000
    assert fast.curve.values.shape == (3, 200)
    np.testing.assert_allclose(fast.curve.mean, fast.curve.x / 100, atol=1e-9)
    np.testing.assert_allclose(fast.curve.std, np.std(FAST_OFFSETS), atol=1e-9)
    np.testing.assert_allclose(fast.curve.low, fast.curve.x / 100 - 1, atol=1e-9)
    np.testing.assert_allclose(slow.curve.mean, np.mean(SLOW_VALUES))
    assert slow.curve.x[0] == 2000


def test_wall_time_axis(synthetic_runs: dict[str, Path]) -> None:
    runs = discover_runs([synthetic_runs["fast"]])
    (fast,) = summarise(group_runs(runs, "preset"), axis="wall_time")
    assert fast.curve.x[0] == 1.0 and fast.curve.x[-1] == 10.0  # seconds = steps / 1000
    np.testing.assert_allclose(fast.curve.mean, fast.curve.x * 10, atol=1e-9)


def test_final_best_and_threshold(synthetic_runs: dict[str, Path]) -> None:
    runs = discover_runs(list(synthetic_runs.values()))
    summaries = {s.name: s for s in summarise(group_runs(runs, "preset"), axis="env_steps")}
    fast, slow = summaries["Fast_DQN"], summaries["Slow_PPO"]
    # Finals: 99, 100 (at 10000) and 106 (seed 2 ends at 10500: 105 + 1).
    assert fast.final.mean == pytest.approx((99 + 100 + 106) / 3)
    half = 4.303 * np.std([99, 100, 106], ddof=1) / math.sqrt(3)
    assert fast.final.high - fast.final.mean == pytest.approx(half, rel=1e-3)
    assert slow.final.mean == 50.0 and slow.best.mean == 50.0 and slow.seeds == 2
    # Return s/100 + offset >= 60 first at 7000 (offset -1), 6000 (0) and 6500 (+1:
    # seed 2 evaluates at 5500, 6500, ...).
    assert fast.threshold == THRESHOLD
    assert fast.steps_to_threshold == [7000, 6000, 6500]
    assert slow.steps_to_threshold == [None, None]
    assert steps_to_threshold(fast.runs[0], None) is None


def test_config_keys_that_differ(synthetic_runs: dict[str, Path]) -> None:
    runs = discover_runs([synthetic_runs["fast"], synthetic_runs["slow"]])
    table = config_differences(group_runs(runs, "preset"))
    assert table["agent.learning_rate"] == {"Fast_DQN": "0.001", "Slow_PPO": "0.0003"}
    assert "agent._type" in table
    assert not any(key.startswith(("run.seed", "run.experiment_dir")) for key in table)
