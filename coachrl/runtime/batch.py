"""Training from a dataset (batch RL): the ``Trainer`` with a dataset in place of the env.

``coachrl train PRESET --dataset data.h5 --epochs 50`` loads the dataset's transitions into the
agent's replay memory once, then trains without stepping the env: every training call samples
as the replay driver does, and the step counter counts transitions trained on (batch size x
gradient steps per call), so ``run.epochs`` passes over N transitions are ``epochs x N`` steps.
Evaluation (in the env, after every pass with ``run.epochs``, else every
``schedule.evaluation_period`` such steps), checkpoints, resume, progress.csv and TensorBoard
are the Trainer's own.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.agent import LearnsFromReplay
from coachrl.core import batch as B
from coachrl.core.ope import all_decisions, bandit_estimates, sequential_estimates
from coachrl.errors import ConfigError, ExportError, IncompatibleSpaces
from coachrl.logging.progress_csv import OPE_COLUMNS
from coachrl.memories.dataset import read_dataset
from coachrl.memories.episodic import Episode
from coachrl.params.base import Preset
from coachrl.params.tree import apply_overrides
from coachrl.runtime.loop import Trainer
from coachrl.runtime.ope import fit_rewards, logged_episodes

LOADED = (B.OBSERVATIONS, B.ACTIONS, B.REWARDS, B.NEXT_OBSERVATIONS, B.TERMINATED)


def batch_schedule(preset: Preset, transitions: int) -> Preset:
    """The preset with its step counts in transitions trained on: with ``run.epochs``, that
    many passes and one evaluation after each; without, ``schedule.improve_steps``
    transitions and its own evaluation period."""
    overrides = []
    if preset.run.epochs:
        overrides += [f"schedule.improve_steps={preset.run.epochs * transitions}",
                      f"schedule.evaluation_period={transitions}"]
    overrides.append("schedule.heatup_steps=0")
    return apply_overrides(preset, overrides)


class BatchTrainer(Trainer):
    """Trains the preset's agent on a dataset's transitions; evaluates it in the env."""

    def __init__(self, preset: Preset, *, run_dir: Path, **trainer: Any) -> None:
        self.episodes, self.dataset_spec = read_dataset(preset.run.dataset)
        self.transitions = sum(len(e) for e in self.episodes)
        self._bounds = np.cumsum([0] + [len(e) for e in self.episodes])
        self._rewards: NDArray | None = None  # the reward model's r(s, .) of the dataset
        self._logged_probabilities = not any(  # a Minari dataset's are unknown
            np.isnan(e.data[B.BEHAVIOUR_PROBS]).any() for e in self.episodes)
        super().__init__(batch_schedule(preset, self.transitions), run_dir=run_dir, **trainer)
        try:
            if not isinstance(self.agent, LearnsFromReplay):
                raise ConfigError(f"{type(self.agent).__name__} learns from its own rollouts; "
                                  "a dataset trains agents that learn from replay (the DQN "
                                  "family, BC)")
            self._load_dataset()
        except Exception:
            self.logger.close()  # before the caller removes the run directory it writes to
            self.env.close()
            self.eval_env.close()
            raise

    def _load_dataset(self) -> None:
        agent: Any = self.agent
        memory = getattr(agent, "memory", None)
        if getattr(agent, "n_step", None) is not None or getattr(agent, "episode_returns", None):
            raise ConfigError("a dataset loads into a one-step replay memory; set "
                              "agent.memory.n_step=1 and a uniform or prioritised memory")
        if memory is not None and memory.capacity < self.transitions:
            raise ConfigError(f"agent.memory.capacity={memory.capacity} cannot hold the "
                              f"dataset's {self.transitions:,} transitions")
        data = {key: np.concatenate([e.data[key] for e in self.episodes]) for key in LOADED}
        observation = self.env.spaces.observation
        if data[B.OBSERVATIONS].shape[1:] != tuple(observation.shape):
            raise IncompatibleSpaces(f"the dataset's observations are "
                                     f"{data[B.OBSERVATIONS].shape[1:]}; the env's are "
                                     f"{observation.shape}")
        normalizer = self.filters.observations
        if normalizer is not None and not self.counters.env_steps:
            normalizer.update(data[B.OBSERVATIONS].astype(np.float64))
        if normalizer is not None:
            for key in (B.OBSERVATIONS, B.NEXT_OBSERVATIONS):
                data[key] = normalizer(data[key])
        data[B.REWARDS] = self.filters.rewards(data[B.REWARDS].astype(np.float32))
        if not (memory is not None and len(memory)):  # a resumed run's memory came back
            agent.store(data, env_steps=0)

    def evaluation_extras(self) -> dict[str, float]:
        """Off-policy estimates of the policy being trained, from the dataset: PDIS, WIS, SDM
        and SDR over its episodes, the model the agent's own Q where it has one, and IPS, DM
        and DR over its decisions, the model a reward regression fitted once
        (``coachrl.core.ope``, ``coachrl.runtime.ope``); the target policy is the agent's
        action probabilities without exploring. Logged beside each evaluation (progress.csv,
        TensorBoard ope/). ``coachrl ope`` gives the same with FQE's model and intervals."""
        epoch = {"Epoch": round(self.counters.env_steps / self.transitions, 3)}
        if not self._logged_probabilities:
            return epoch
        try:
            export = self.agent.policy_export()
            observations, target, q = self._target(export)
        except (ExportError, ConfigError):  # continuous actions, or a policy not exportable
            return epoch
        rng = np.random.default_rng(self.counters.evaluations)
        discount = float(self.preset.agent.algorithm.discount)
        rewards = self._reward_model(observations)
        estimates = {**sequential_estimates(logged_episodes(self.episodes, target, q),
                                            discount=discount, rng=rng, resamples=0),
                     **bandit_estimates(all_decisions(
                         logged_episodes(self.episodes, target, rewards)), rng=rng,
                         resamples=0)}
        self.logger.scalars({f"ope/{name}": e.value for name, e in estimates.items()},
                            self.counters.env_steps)
        return epoch | {OPE_COLUMNS[name]: e.value for name, e in estimates.items()}

    def _target(self, export: Any) -> tuple[NDArray, NDArray, NDArray | None]:
        """The dataset's (filtered) observations, pi(.|s) and the agent's Q(s, .) of them."""
        observations = np.concatenate([e.data[B.OBSERVATIONS] for e in self.episodes])
        if self.filters.observations is not None:
            observations = self.filters.observations(observations)
        out = export.network.predict(observations)
        target = export.action.exploration.probabilities(
            out[export.action.scores], step=self.counters.env_steps, explore=False)
        q = out.get(export.values.get("q", ""))
        return observations, target, q if q is not None and q.ndim == 2 else None

    def _reward_model(self, observations: NDArray) -> NDArray:
        """r(s, a) [N, actions] of the dataset's observations, regressed once."""
        if self._rewards is None:
            episodes = [Episode({**e.data, B.OBSERVATIONS: observations[start:stop]})
                        for e, start, stop in zip(self.episodes, self._bounds[:-1],
                                                  self._bounds[1:], strict=True)]
            self._rewards = fit_rewards(episodes, spaces=self.env.spaces,
                                        seed=self.preset.run.seed,
                                        threads=self.preset.run.torch_threads)(observations)
        return self._rewards

    def _loop(self, start: float) -> str:
        c = self.counters
        improve = int(self.preset.schedule.improve_steps)
        per_call = int(self.agent.replay.batch_size) * int(  # type: ignore[attr-defined]
            self.agent.replay.gradient_steps)  # type: ignore[attr-defined]
        while c.env_steps < improve:
            if self._stop_signal is not None:
                return "interrupted"
            self._train_step()
            c.env_steps += per_call
            if c.env_steps >= min(c.next_log, c.next_evaluation, c.next_checkpoint):
                c.wall_time = time.perf_counter() - start
                if self._periodic():
                    return "stopped" if self._stopped_by_caller else "threshold"
        return "finished"


def check_dataset(preset: Preset) -> None:
    """A batch preset (``run.epochs``) needs ``run.dataset``, and a dataset trains in one
    process: refused before anything starts."""
    if preset.run.epochs and not preset.run.dataset:
        raise ConfigError(f"{preset.name} trains from a dataset (run.epochs="
                          f"{preset.run.epochs}): give one with --dataset FILE (coachrl collect "
                          "records one; see docs/batch_rl.md)")
    if preset.run.dataset and preset.run.workers:
        raise ConfigError("--dataset trains in one process; drop --workers")


def trainer_for(preset: Preset, **kwargs: Any) -> Trainer:
    """The single-process trainer of a preset: from its env, or from ``run.dataset``."""
    check_dataset(preset)
    return BatchTrainer(preset, **kwargs) if preset.run.dataset else Trainer(preset, **kwargs)
