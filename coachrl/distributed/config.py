"""Settings of a distributed run: worker count, envs per worker, mode, cluster, fault tolerance."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from coachrl.agent import (
    ComputesGradients,
    LearnsFromReplay,
    LearnsFromRollouts,
    LearnsFromStaleRollouts,
)
from coachrl.errors import ConfigError
from coachrl.params.base import Preset
from coachrl.params.tree import load_class


class Mode(Enum):
    """SYNC: collect from all workers, learn, broadcast. ASYNC: learn from each fragment."""

    SYNC = "sync"
    ASYNC = "async"


@dataclass(slots=True, kw_only=True)
class DistributedConfig:
    """How many rollout workers, where, and how the learner consumes their fragments."""

    workers: int  # rollout worker actors (each one CPU)
    envs_per_worker: int | None = None  # envs in each worker's vector env; None: the preset's
    mode: Mode | None = None  # None: sync for on-policy agents, async for off-policy
    address: str | None = None  # existing Ray cluster ("auto" or HOST:PORT); None: start one
    fragment_length: int = 128  # env steps per env in one async fragment
    broadcast_period: int = 100  # gradient steps between async weight broadcasts
    max_restarts: int = 10  # worker replacements allowed in the whole run
    restart_backoff: float = 0.5  # seconds before the first replacement; doubles each time
    worker_timeout: float = 120.0  # seconds without an answer before a worker counts as hung
    worker_cpus: float = 1.0  # CPUs reserved per worker actor

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ConfigError(f"--workers {self.workers} must be at least 1 for a distributed run")
        if self.envs_per_worker is not None and self.envs_per_worker < 1:
            raise ConfigError(f"--envs-per-worker {self.envs_per_worker} must be at least 1")
        for name in ("fragment_length", "broadcast_period"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}={getattr(self, name)} must be at least 1")
        if self.worker_timeout <= 0:
            raise ConfigError(f"--worker-timeout {self.worker_timeout:g} must be more than 0 "
                              f"seconds")
        if self.max_restarts < 0:
            raise ConfigError(f"max_restarts={self.max_restarts} must be 0 or more")


def apex_epsilons(workers: int, *, base: float = 0.4, alpha: float = 7.0) -> list[float]:
    """Per-worker exploration rates of Ape-X (Horgan et al. 2018): base^(1 + alpha i / (N - 1))."""
    if workers == 1:
        return [base]
    return [base ** (1.0 + alpha * i / (workers - 1)) for i in range(workers)]


def resolve_mode(preset: Preset, requested: Mode | None) -> Mode:
    """The requested mode, or the agent's default; a ConfigError for what workers cannot run."""
    agent_class = load_class(type(preset.agent).agent_path)
    asynchronous = (issubclass(agent_class, LearnsFromReplay)
                    or issubclass(agent_class, ComputesGradients)
                    or issubclass(agent_class, LearnsFromStaleRollouts))
    if not (asynchronous or issubclass(agent_class, LearnsFromRollouts)):
        raise ConfigError(f"{agent_class.__name__} has no distributed mode (workers feed agents "
                          "that learn from replay, from rollouts or from workers' gradients); "
                          "train it with --workers 0")
    mode = requested or (Mode.ASYNC if asynchronous else Mode.SYNC)
    if mode is Mode.ASYNC and not asynchronous:
        raise ConfigError(f"--mode async needs an off-policy agent, A3C or IMPALA; "
                          f"{agent_class.__name__} is on-policy: use --mode sync")
    return mode
