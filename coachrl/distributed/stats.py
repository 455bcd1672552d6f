"""Per-worker throughput, policy lag, restarts and dropped fragments, as TensorBoard scalars."""

from __future__ import annotations

from typing import Any

import numpy as np

from coachrl.core.batch import Fragment


class WorkerStats:
    """What the learner saw of its workers since the last log."""

    def __init__(self, workers: int) -> None:
        self.rates = [0.0] * workers  # env steps/s of each worker's last fragment
        self.lags: list[int] = []  # learner version - fragment's weights version, per fragment
        self.fragments = 0

    def record(self, fragment: Fragment, *, learner_version: int) -> None:
        self.rates[fragment.worker] = fragment.env_steps / max(fragment.seconds, 1e-9)
        self.lags.append(learner_version - fragment.version)
        self.fragments += 1

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
