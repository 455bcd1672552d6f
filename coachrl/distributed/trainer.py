"""The distributed trainer: Trainer's logging, evaluation and checkpoints, fed by rollout workers.

    trainer = DistributedTrainer(preset, run_dir=run_dir, config=DistributedConfig(workers=2))
    outcome = trainer.run()

Sync mode (on-policy agents): every worker collects ``rollout_length`` steps of K envs, the
learner's rollout buffer (N*K envs wide) is filled and trained as in one process, then the new
weights are broadcast. Async mode (Ape-X, off-policy agents): each worker has one fragment in
flight; the learner adds fragments to replay as they arrive, trains at the preset's ratio of
gradient steps to env steps and broadcasts every ``broadcast_period`` gradient steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from coachrl.agent import LearnsFromReplay, LearnsFromRollouts
from coachrl.core import batch as B
from coachrl.core.batch import ActionInfo, EpisodeStats, StepResult
from coachrl.distributed.config import (
    AsyncGradientAgent,
    DistributedConfig,
    Mode,
    apex_epsilons,
    resolve_mode,
)
from coachrl.distributed.pool import WorkerPool
from coachrl.distributed.stats import WorkerStats
from coachrl.distributed.worker import (
    EPISODE_LENGTHS,
    EPISODE_RETURNS,
    GRADIENTS,
    LAST_OBSERVATIONS,
    PRIORITIES,
    TRANSITION_COUNTS,
    TRANSITIONS,
    VALID,
)
from coachrl.exploration import EGreedy
from coachrl.params.base import Preset
from coachrl.params.tree import load_class
from coachrl.runtime.loop import Trainer

STEP_COLUMNS = (B.OBSERVATIONS, B.ACTIONS, B.REWARDS, B.TERMINATED, B.TRUNCATED, VALID,
                B.VALUES, B.LOG_PROBS)


def _worker_epsilons(preset: Preset, workers: int) -> list[float] | None:
    """Ape-X's per-worker exploration rates, for several workers of an e-greedy agent; one
    worker (or another exploration policy) acts with the preset's own schedule."""
    if workers > 1 and isinstance(getattr(preset.agent, "exploration", None), EGreedy):
        return apex_epsilons(workers)
    return None


class DistributedTrainer(Trainer):
    """A Trainer whose env steps come from Ray rollout workers instead of its own env."""

    def __init__(self, preset: Preset, *, run_dir: Path, config: DistributedConfig,
                 resume: bool = False, console: bool = True, log: bool = True) -> None:
        agent_class = load_class(type(preset.agent).agent_path)
        self.value_based = issubclass(agent_class, LearnsFromReplay)  # Ape-X style
        self.mode = resolve_mode(preset, config.mode)
        self.async_gradients = (issubclass(agent_class, AsyncGradientAgent)
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
        self.pool.broadcast(self._weights(), self.agent.train_steps)

    # -- pieces ------------------------------------------------------------------------------
    def _resize_buffer(self) -> None:
        """An on-policy learner's rollouts hold every worker's envs side by side."""
        agent = getattr(self, "agent", None)
        if isinstance(agent, LearnsFromRollouts):
            agent.widen_rollouts(self.config.workers * self.envs_per_worker)

    def load_checkpoint(self, path: Path, *, evaluation_state: bool = True) -> None:
        self._resize_buffer()
        super().load_checkpoint(path, evaluation_state=evaluation_state)

    def _weights(self) -> dict[str, Any]:
        return {name: self.agent.networks[name].get_weights() for name in self.agent.trainable}

    def _fragment_length(self) -> int:
        if isinstance(self.agent, LearnsFromRollouts):  # sync PPO; A3C: the buffer's length
            return self.agent.rollout_length()
        return self.config.fragment_length

    def _request(self, index: int) -> Any:
        hand_over = self.mode is Mode.SYNC and not self.value_based and index == 0
        rng_state = self.agent.rng.bit_generator.state if hand_over else None
        return self.pool.request(index, length=self._fragment_length(),
                                 step=self.counters.env_steps, rng_state=rng_state)

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
            if not self.value_based:  # worker 0 acted with the learner's generator: take it back
                self.agent.rng.bit_generator.state = fragments[0]["rng_state"]
            self._ingest(merge(fragments))
            self.pool.broadcast(self._weights(), self.agent.train_steps)
            if self._due(start):
                return "threshold"
        return "finished"

    def _gather_all(self) -> list[dict[str, Any]]:
        pending = {self._request(i): i for i in range(self.pool.size)}
        fragments: dict[int, dict[str, Any]] = {}
        while pending:
            index, fragment = self.pool.next(pending)
            if fragment is None:  # the worker was replaced: ask the new one
                self._report_restart(index)
                pending[self._request(index)] = index
            else:
                self.stats.record(fragment, learner_version=self.agent.train_steps)
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
                self.stats.record(fragment, learner_version=self.agent.train_steps)
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

    def _ingest(self, fragment: dict[str, Any]) -> None:
        """Feed a [T, envs] fragment to the agent step by step, training whenever it is ready:
        the transitions the worker built (with their initial priorities) for a replay learner,
        the steps themselves for a rollout learner."""
        c, heatup = self.counters, int(self.preset.schedule.heatup_steps)
        valid = fragment[VALID]
        for t, store in enumerate(self._steps_of(fragment)):
            store()
            c.env_steps += int(np.count_nonzero(valid[t]))
            if c.env_steps >= heatup and self.agent.ready_to_train(c.env_steps):
                self._train_step()
                if (self.mode is Mode.ASYNC and self.agent.train_steps - self.pool.version
                        >= self.config.broadcast_period):
                    self.pool.broadcast(self._weights(), self.agent.train_steps)
        finished = EpisodeStats(fragment[EPISODE_RETURNS], fragment[EPISODE_LENGTHS])
        if len(finished):
            self._record_episodes(finished)

    def _steps_of(self, fragment: dict[str, Any]) -> Iterator[Callable[[], None]]:
        """One call per time step of the fragment that hands that step to the agent."""
        valid = fragment[VALID]
        if TRANSITIONS in fragment and isinstance(self.agent, LearnsFromReplay):
            agent, transitions, priorities = self.agent, fragment[TRANSITIONS], fragment[PRIORITIES]
            ends = np.cumsum(fragment[TRANSITION_COUNTS])
            for t, end in enumerate(ends):
                rows = slice(int(end - fragment[TRANSITION_COUNTS][t]), int(end))
                yield partial(agent.store, {k: v[rows] for k, v in transitions.items()},
                              env_steps=int(np.count_nonzero(valid[t])),
                              priorities=None if priorities is None else priorities[rows])
            return
        observations = fragment[B.OBSERVATIONS]
        next_observations = np.concatenate([observations[1:], fragment[LAST_OBSERVATIONS][None]])
        extras = [key for key in (B.VALUES, B.LOG_PROBS) if key in fragment]
        for t in range(len(observations)):
            info = ActionInfo(fragment[B.ACTIONS][t], {key: fragment[key][t] for key in extras})
            result = StepResult(next_observations[t], fragment[B.REWARDS][t],
                                fragment[B.TERMINATED][t], fragment[B.TRUNCATED][t], valid[t])
            yield partial(self.agent.observe, observations[t], info, result)

    def _apply_gradients(self, fragment: dict[str, Any]) -> None:
        """A3C: apply one worker's gradients in arrival order, then broadcast the new weights."""
        c = self.counters
        c.env_steps += int(fragment["env_steps"])
        metrics = self.agent.apply_gradients(fragment[GRADIENTS],  # type: ignore[attr-defined]
                                             step=c.env_steps)
        if not metrics.get("loss/nonfinite"):
            self.last_metrics = metrics
        self.pool.broadcast(self._weights(), self.agent.train_steps)
        finished = EpisodeStats(fragment[EPISODE_RETURNS], fragment[EPISODE_LENGTHS])
        if len(finished):
            self._record_episodes(finished)

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


def merge(fragments: list[dict[str, Any]]) -> dict[str, Any]:
    """Fragments of several workers side by side: [T, K] columns become [T, N*K]."""
    merged: dict[str, Any] = {key: np.concatenate([f[key] for f in fragments], axis=1)
                              for key in STEP_COLUMNS if key in fragments[0]}
    for key in (LAST_OBSERVATIONS, EPISODE_RETURNS, EPISODE_LENGTHS):
        merged[key] = np.concatenate([f[key] for f in fragments])
    return merged
