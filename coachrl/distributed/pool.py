"""Rollout workers as Ray actors: weight broadcasts, bounded requests, replacement on failure.

    pool = WorkerPool(preset, config, n_envs=4, epsilons=None)
    pool.broadcast(weights, version=agent.train_steps)   # one ray.put, one ref for every worker
    pending = {pool.request(i, length=128, step=0): i for i in range(pool.size)}
    index, fragment = pool.next(pending)                 # None: the worker died or hung and
                                                         # was replaced; ask the new one
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import ray
from ray.exceptions import RayActorError, RayTaskError

from coachrl.core.batch import Fragment
from coachrl.distributed.config import DistributedConfig
from coachrl.distributed.worker import EnvFailure, RolloutWorker
from coachrl.errors import ClusterError, WorkerFailed, WorkerHung
from coachrl.params.base import Preset

MAX_BACKOFF = 8.0  # seconds
POLL = 1.0  # seconds between checks for a worker that stopped answering


class WorkerPool:
    """``size`` RolloutWorker actors; at most one outstanding request per worker."""

    def __init__(self, preset: Preset, config: DistributedConfig, *, n_envs: int,
                 epsilons: list[float] | None, gradients: bool = False) -> None:
        self.preset, self.config, self.n_envs = preset, config, n_envs
        self.gradients = gradients  # A3C: workers answer with gradients instead of fragments
        self.size = config.workers
        self.epsilons = epsilons
        self._check_resources()
        self._remote = ray.remote(num_cpus=config.worker_cpus, max_restarts=0)(RolloutWorker)
        self.incarnations = [0] * self.size
        self.actors = [self._start(i) for i in range(self.size)]
        self.pids = ray.get([actor.pid.remote() for actor in self.actors])
        self.nodes: list[str] = ray.get([actor.node.remote() for actor in self.actors])
        self.restarts, self.dropped_fragments = 0, 0
        self.last_error = ""
        self.weights_ref: Any = None
        self.filters_ref: Any = None
        self.version = -1
        self._sent = [-2] * self.size  # version each worker holds
        self._asked = [0.0] * self.size  # when each worker's outstanding request went out

    def _check_resources(self) -> None:
        cpus = float(ray.cluster_resources().get("CPU", 0.0))
        need = self.size * self.config.worker_cpus
        if need > cpus:
            fit = int(cpus // self.config.worker_cpus)
            advice = (f"use --workers {fit} or fewer, or add nodes" if fit else
                      "add nodes that offer CPUs (ray start --num-cpus N), or train with "
                      "--workers 0")
            raise ClusterError(f"--workers {self.size} needs {need:g} CPUs but the Ray cluster "
                               f"has {cpus:g}; {advice}")

    def _start(self, index: int) -> Any:
        epsilon = self.epsilons[index] if self.epsilons is not None else None
        return self._remote.remote(self.preset, index=index, n_envs=self.n_envs, epsilon=epsilon,
                                   incarnation=self.incarnations[index], gradients=self.gradients)

    def broadcast(self, weights: dict[str, Any], version: int,
                  filters: dict[str, Any] | None = None) -> None:
        """Put the weights (and the learner's observation statistics, where it normalises) in
        the object store once; workers fetch them with their next request."""
        self.weights_ref = ray.put(weights)
        self.filters_ref = ray.put(filters) if filters is not None else None
        self.version = version

    def request(self, index: int, *, length: int, step: int,
                rng_state: Mapping[str, Any] | None = None, priorities: bool = True) -> Any:
        """Ask worker ``index`` for a fragment; fresh weights travel only when it lacks them."""
        fresh = self._sent[index] != self.version
        self._sent[index] = self.version
        self._asked[index] = time.monotonic()
        actor = self.actors[index]
        method = actor.gradients if self.gradients else actor.sample
        return method.remote(
            length=length, step=step, weights=self.weights_ref if fresh else None,
            filters=self.filters_ref if fresh else None,
            version=self.version, rng_state=rng_state, priorities=priorities)

    def next(self, pending: dict[Any, int]) -> tuple[int, Fragment | None]:
        """The next finished request (removed from ``pending``); None when its worker failed.

        A worker whose request has run longer than ``config.worker_timeout`` is taken for hung
        (a simulator stuck in a loop, a deadlocked process): it is killed and replaced like a
        dead one.
        """
        while True:
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=POLL)
            if ready:
                index = pending.pop(ready[0])
                try:
                    return index, ray.get(ready[0])
                except (RayActorError, RayTaskError) as exc:
                    self.replace(index, exc)
                    return index, None
            now = time.monotonic()
            for ref, index in pending.items():
                waited = now - self._asked[index]
                if waited > self.config.worker_timeout:
                    del pending[ref]
                    self.replace(index, WorkerHung(
                        f"rollout worker {index} (pid {self.pids[index]}) gave no answer for "
                        f"{waited:.0f} s (worker_timeout={self.config.worker_timeout:g} s)"))
                    return index, None

    def replace(self, index: int, error: Exception) -> None:
        """Start a new worker ``index`` after exponential back-off; the lost fragment is counted."""
        self.dropped_fragments += 1
        self.last_error = describe(error)
        if self.restarts >= self.config.max_restarts:
            raise WorkerFailed(
                f"rollout worker {index} failed and the run's restart limit "
                f"(max_restarts={self.config.max_restarts}) is used up; last error: "
                f"{self.last_error}")
        time.sleep(min(self.config.restart_backoff * 2 ** self.restarts, MAX_BACKOFF))
        self.restarts += 1
        ray.kill(self.actors[index], no_restart=True)
        self.incarnations[index] += 1
        self.actors[index] = self._start(index)
        self._sent[index] = -2
        try:
            self.pids[index] = ray.get(self.actors[index].pid.remote())
        except (RayActorError, RayTaskError) as exc:  # the replacement could not even start
            self.replace(index, exc)

    def shutdown(self) -> None:
        for actor in self.actors:
            ray.kill(actor, no_restart=True)


def describe(error: Exception) -> str:
    """The env's own traceback for env errors; Ray's message for dead actors."""
    cause = getattr(error, "cause", None)
    if isinstance(cause, EnvFailure):
        return str(cause)
    if isinstance(error, RayActorError):
        return f"the worker process died ({type(error).__name__})"
    return str(error)
