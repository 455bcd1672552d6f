"""The distributed trainer: Trainer's logging, evaluation and checkpoints, fed by rollout workers.

    trainer = DistributedTrainer(preset, run_dir=run_dir, config=DistributedConfig(workers=2))
    outcome = trainer.run()

Sync mode (the default of on-policy agents): every worker collects a fragment, the learner
learns from all of them, then the new weights are broadcast. An on-policy learner's rollout
buffer (N*K envs wide) is filled and trained as in one process; a replay learner gets fragments
that end where it next trains. Worker 0 acts with the learner's own random generator, so one
worker repeats the single-process run. Async mode (Ape-X, the default of off-policy agents):
each worker has one fragment in flight; the learner adds fragments to replay as they arrive,
trains at the preset's ratio of gradient steps to env steps and broadcasts every
``broadcast_period`` gradient steps. An agent that corrects for policy lag (IMPALA's V-trace)
learns from each worker's rollout as it arrives and broadcasts after every update.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from coachrl.agent import (
    ComputesGradients,
    LearnsFromReplay,
    LearnsFromRollouts,
    LearnsFromStaleRollouts,
)
from coachrl.core import batch as B
from coachrl.core.batch import Fragment
from coachrl.distributed.config import (
    DistributedConfig,
    Mode,
    apex_epsilons,
    resolve_mode,
)
from coachrl.distributed.pool import WorkerPool
from coachrl.distributed.stats import WorkerStats
from coachrl.exploration import EGreedy
from coachrl.params.base import Preset
from coachrl.params.tree import load_class
from coachrl.runtime.loop import Trainer


def _worker_epsilons(preset: Preset, workers: int) -> list[float] | None:
    """Ape-X's fixed per-worker exploration rates, for several workers of an e-greedy replay
    learner (its off-policy targets take any behaviour). One worker, another exploration
    policy, or an on-policy learner (N-step Q's returns follow the behaviour, so every worker
    anneals as Mnih et al. 2016's threads did) acts with the preset's own schedule."""
    agent_class = load_class(type(preset.agent).agent_path)
    if (workers > 1 and issubclass(agent_class, LearnsFromReplay)
            and isinstance(getattr(preset.agent, "exploration", None), EGreedy)):
        return apex_epsilons(workers)
    return None


class DistributedTrainer(Trainer):
    """A Trainer whose env steps come from Ray rollout workers instead of its own env."""

    def __init__(self, preset: Preset, *, run_dir: Path, config: DistributedConfig,
                 resume: bool = False, console: bool = True, log: bool = True) -> None:
        agent_class = load_class(type(preset.agent).agent_path)
        self.value_based = issubclass(agent_class, LearnsFromReplay)  # Ape-X style
        self.mode = resolve_mode(preset, config.mode)
        self.async_gradients = (issubclass(agent_class, ComputesGradients)
                                and self.mode is Mode.ASYNC)
        self.config = config
        self.envs_per_worker = config.envs_per_worker or preset.env.n_envs
        self.pool = WorkerPool(preset, config, n_envs=self.envs_per_worker,
                               epsilons=_worker_epsilons(preset, config.workers),
                               gradients=self.async_gradients)
        try:
            super().__init__(preset, run_dir=run_dir, resume=resume, console=console, log=log)
        except BaseException:
            self.pool.shutdown()
            raise
        self._resize_buffer()
        self.stats = WorkerStats(config.workers)
        self._broadcast()

    # -- pieces ------------------------------------------------------------------------------
    def _resize_buffer(self) -> None:
        """An on-policy learner's rollouts hold every worker's envs side by side (sync), or
        one worker's at a time (async, IMPALA)."""
        agent = getattr(self, "agent", None)
        if isinstance(agent, LearnsFromRollouts):
            workers = 1 if self.mode is Mode.ASYNC else self.config.workers
            agent.widen_rollouts(workers * self.envs_per_worker)

    def load_checkpoint(self, path: Path, *, evaluation_state: bool = True) -> None:
        self._resize_buffer()
        super().load_checkpoint(path, evaluation_state=evaluation_state)

    def _fragment_length(self) -> int:
        """Steps per env of the next fragment: an on-policy rollout (sync PPO; A3C: its buffer's
        length); in sync mode, a replay learner's next training call at the latest; in async
        mode, ``fragment_length``."""
        if isinstance(self.agent, LearnsFromRollouts):
            return self.agent.rollout_length()
        if self.mode is Mode.SYNC and isinstance(self.agent, LearnsFromReplay):
            steps = self.agent.steps_to_training(self.counters.env_steps)
            return max(math.ceil(steps / (self.pool.size * self.envs_per_worker)), 1)
        return self.config.fragment_length

    def _broadcast(self) -> None:
        """The agent's weights to every worker, with the run's observation statistics where it
        normalises observations (each worker then goes on from the run's)."""
        normalises = self.filters.observations is not None
        self.pool.broadcast(self.agent.weights(), self.agent.train_steps,
                            filters=self.filters.state_dict() if normalises else None)

    def _received(self, fragment: Fragment) -> None:
        """A worker's fragment arrived: its statistics, and what its observations added to the
        run's normalisation (RLlib's filter sync: each worker's new statistics merged here)."""
        self.stats.record(fragment, learner_version=self.agent.train_steps)
        if fragment.filter_statistics:
            self.filters.merge(fragment.filter_statistics)

    def _request(self, index: int, length: int | None = None) -> Any:
        sync = self.mode is Mode.SYNC
        rng_state = self.agent.rng_state() if sync and index == 0 else None
        return self.pool.request(index, length=length or self._fragment_length(),
                                 step=self.counters.env_steps, rng_state=rng_state,
                                 priorities=not sync)

    # -- the loops ---------------------------------------------------------------------------
    def _loop(self, start: float) -> str:
        improve = int(self.preset.schedule.improve_steps)
        if self.mode is Mode.SYNC:
            return self._sync_loop(start, improve)
        return self._async_loop(start, improve)

    def _sync_loop(self, start: float, improve: int) -> str:
        c = self.counters
        while c.env_steps < improve:
            if self._stop_signal is not None:
                return "interrupted"
            fragments = self._gather_all()
            rng_state = fragments[0].rng_state  # worker 0 acted with the learner's generator
            if rng_state is not None:
                self.agent.set_rng_state(rng_state)
            if self.value_based:  # each worker's transitions in turn
                for fragment in fragments:
                    self._ingest(fragment)
            else:  # one rollout of every worker's envs side by side
                self._ingest(Fragment.side_by_side(fragments))
            self._broadcast()
            if self._due(start):
                return "threshold"
        return "finished"

    def _gather_all(self) -> list[Fragment]:
        length = self._fragment_length()
        pending = {self._request(i, length): i for i in range(self.pool.size)}
        fragments: dict[int, Fragment] = {}
        while pending:
            index, fragment = self.pool.next(pending)
            if fragment is None:  # the worker was replaced: ask the new one
                self._report_restart(index)
                pending[self._request(index, length)] = index
            else:
                self._received(fragment)
                fragments[index] = fragment
        return [fragments[i] for i in range(self.pool.size)]

    def _async_loop(self, start: float, improve: int) -> str:
        c = self.counters
        pending = {self._request(i): i for i in range(self.pool.size)}
        while c.env_steps < improve:
            if self._stop_signal is not None:
                return "interrupted"
            index, fragment = self.pool.next(pending)
            if fragment is None:
                self._report_restart(index)
            else:
                self._received(fragment)
                if self.async_gradients:
                    self._apply_gradients(fragment)
                else:
                    self._ingest(fragment)
            pending[self._request(index)] = index  # one fragment in flight per worker
            if self._due(start):
                return "threshold"
        return "finished"

    def _due(self, start: float) -> bool:
        """Log, evaluate and checkpoint when due; True when the run should stop at threshold."""
        c = self.counters
        if c.env_steps >= min(c.next_log, c.next_evaluation, c.next_checkpoint):
            c.wall_time = _elapsed(start)
            return self._periodic()
        return False

    def _ingest(self, fragment: Fragment) -> None:
        """Feed a [T, envs] fragment to the agent step by step, training whenever it is ready:
        the transitions the worker built (with their initial priorities) for a replay learner,
        the steps themselves for a rollout learner."""
        c, heatup = self.counters, int(self.preset.schedule.heatup_steps)
        valid = fragment.steps[B.VALID]
        replay = self.agent if (fragment.transitions is not None
                                and isinstance(self.agent, LearnsFromReplay)) else None
        for t in range(len(fragment)):
            env_steps = int(np.count_nonzero(valid[t]))
            if replay is not None:
                transitions, priorities = fragment.transitions_of(t)
                replay.store(transitions, env_steps=env_steps, priorities=priorities)
            else:
                self.agent.observe(*fragment.step(t))
            c.env_steps += env_steps
            if c.env_steps >= heatup and self.agent.ready_to_train(c.env_steps):
                self._train_step()
                if self.mode is Mode.ASYNC and (
                        self.agent.train_steps - self.pool.version >= self.config.broadcast_period
                        or isinstance(self.agent, LearnsFromStaleRollouts)):  # IMPALA: each
                    self._broadcast()
        if len(fragment.episodes):
            self._record_episodes(fragment.episodes)

    def _apply_gradients(self, fragment: Fragment) -> None:
        """A3C: apply one worker's gradients in arrival order, then broadcast the new weights."""
        c = self.counters
        c.env_steps += fragment.env_steps
        assert fragment.gradients is not None
        metrics = self.agent.apply_gradients(fragment.gradients,  # type: ignore[attr-defined]
                                             step=c.env_steps)
        if not metrics.get("loss/nonfinite"):
            self.last_metrics = metrics
        self._broadcast()
        if len(fragment.episodes):
            self._record_episodes(fragment.episodes)

    # -- reporting ---------------------------------------------------------------------------
    def _report_restart(self, index: int) -> None:
        self.logger.console.message(
            f"rollout worker {index} replaced (restart {self.pool.restarts}/"
            f"{self.config.max_restarts}): {self.pool.last_error.splitlines()[-1]}")

    def _log_progress(self) -> None:
        self._worker_scalars = self.stats.scalars(self.pool)
        super()._log_progress()
        self.logger.scalars(self._worker_scalars, self.counters.env_steps)

    def progress_detail(self) -> str:
        values = getattr(self, "_worker_scalars", {})
        lag = values.get("workers/policy_lag")
        return (f"{self.pool.size}w" + (f" lag {lag:.0f}" if lag is not None else "")
                + f" rs {self.pool.restarts} drop {self.pool.dropped_fragments}")

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self.pool.shutdown()


def _elapsed(start: float) -> float:
    import time

    return time.perf_counter() - start

