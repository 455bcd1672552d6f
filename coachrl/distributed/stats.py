"""Per-worker throughput, policy lag, restarts and dropped fragments, as TensorBoard scalars."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from coachrl.core.batch import Fragment


class WorkerStats:
    """What the learner saw of its workers since the last log, and the run's lag distribution."""

    def __init__(self, workers: int) -> None:
        self.rates = [0.0] * workers  # env steps/s of each worker's last fragment
        self.lags: list[int] = []  # learner version - fragment's weights version, per fragment
        self.lag_counts: Counter[int] = Counter()  # fragments per lag over the whole run
        self.fragments = 0

    def record(self, fragment: Fragment, *, learner_version: int) -> None:
        self.rates[fragment.worker] = fragment.env_steps / max(fragment.seconds, 1e-9)
        lag = learner_version - fragment.version
        self.lags.append(lag)
        self.lag_counts[lag] += 1
        self.fragments += 1

    def median_lag(self) -> float:
        """The median policy lag (gradient steps) over every fragment of the run; nan if none."""
        if not self.lag_counts:
            return float("nan")
        lags = np.array(sorted(self.lag_counts), dtype=np.float64)
        counts = np.array([self.lag_counts[lag] for lag in sorted(self.lag_counts)])
        return float(np.median(np.repeat(lags, counts)))

    def scalars(self, pool: Any) -> dict[str, float]:
        """TensorBoard tags ``workers/...``; the lag mean is over fragments since the last call."""
        values = {"workers/restarts": float(pool.restarts),
                  "workers/dropped_fragments": float(pool.dropped_fragments),
                  "workers/env_steps_per_s": float(sum(self.rates))}
        if self.lags:
            values["workers/policy_lag"] = float(np.mean(self.lags))
            self.lags.clear()
        values |= {f"workers/{i}/env_steps_per_s": rate for i, rate in enumerate(self.rates)}
        return values
