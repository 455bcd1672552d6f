"""WorkerStats: the logged lag mean is per log period; the run's lag distribution is kept."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from coachrl.core import batch as B
from coachrl.core.batch import EpisodeStats, Fragment
from coachrl.distributed.stats import WorkerStats


def _fragment(version: int, worker: int = 0) -> Fragment:
    return Fragment(steps={B.VALID: np.ones((4, 1), bool)}, last_observations=np.zeros((1, 4)),
                    episodes=EpisodeStats.empty(), env_steps=4, worker=worker, version=version,
                    seconds=0.01)


def test_median_lag_covers_every_fragment_of_the_run_not_only_the_last_log_period() -> None:
    stats = WorkerStats(2)
    pool = SimpleNamespace(restarts=0, dropped_fragments=0)
    assert math.isnan(stats.median_lag())
    for learner, version in ((5, 5), (6, 5), (7, 5)):  # lags 0, 1, 2
        stats.record(_fragment(version), learner_version=learner)
    assert stats.scalars(pool)["workers/policy_lag"] == 1.0
    for learner, version in ((9, 8), (10, 9)):  # lags 1, 1
        stats.record(_fragment(version, worker=1), learner_version=learner)
    assert stats.scalars(pool)["workers/policy_lag"] == 1.0  # this period's only
    assert "workers/policy_lag" not in stats.scalars(pool)  # no fragment since the last log
    assert stats.median_lag() == 1.0  # lags 0, 1, 1, 1, 2
    stats.record(_fragment(0), learner_version=7)
    assert stats.lag_counts == {0: 1, 1: 3, 2: 1, 7: 1} and stats.median_lag() == 1.0
