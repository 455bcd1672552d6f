"""coachrl from Python: train a preset, load a run and act with it, list the presets.

    import coachrl
    result = coachrl.train("CartPole_DQN", seed=0, overrides={"agent.learning_rate": 1e-3})
    policy = coachrl.load(result.run_dir)                 # the best checkpoint, else the last
    policy = coachrl.load("policy.npz")                   # an exported bundle: numpy only
    actions = policy.act(observations, deterministic=True)
    values = policy.values(observations)                  # {"q": ...} or {"value": ...}
    coachrl.presets()                                     # ["CartPole_A3C", ...]

``load`` builds the run's agent from its config.json and checkpoint and acts through its acting
backend (numpy by default) with the run's observation filters; no trainer, no evaluation env.
Torch and Ray are imported only by the calls that need them, never by ``import coachrl``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray

from coachrl.core.environment import VectorEnvironment
from coachrl.errors import CheckpointError, ConfigError
from coachrl.params.base import Preset

if TYPE_CHECKING:
    from coachrl.deploy import ExportedPolicy


@dataclass(slots=True, frozen=True)
class TrainResult:
    """Where a run went and how it ended."""

    run_dir: Path
    reason: str  # "finished", "threshold", "interrupted" or "stopped" (by ``on_evaluation``)
    env_steps: int
    episodes: int
    last_evaluation: float | None  # mean return of the last evaluation
    best_evaluation: float | None  # the best evaluation's mean return (the best checkpoint's)
    threshold_step: int | None  # env steps at which the preset's threshold was first reached

    @property
    def reached_threshold(self) -> bool:
        return self.threshold_step is not None


def presets() -> list[str]:
    """The names ``train`` accepts (built-in and installed packages' presets)."""
    from coachrl.registry import preset_modules

    return sorted(preset_modules())


def _assignments(overrides: Mapping[str, Any] | Sequence[str] | None) -> list[str]:
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [f"{key}={value if isinstance(value, str) else json.dumps(value)}"
                for key, value in overrides.items()]
    return list(overrides)


WORKER_SETTINGS = {"mode": "mode", "envs_per_worker": "envs_per_worker", "address": "address",
                   "max_restarts": "max_worker_restarts", "worker_timeout": "worker_timeout"}


def train(preset: str | Preset, *, seed: int | None = None,
          overrides: Mapping[str, Any] | Sequence[str] | None = None,
          experiment_dir: str | Path | None = None, device: str | None = None,
          stop_at_threshold: bool = False, console: bool = False, workers: int = 0,
          on_evaluation: Callable[[int, float], bool] | None = None,
          **distributed: Any) -> TrainResult:
    """Train ``preset`` (a name, a ``path.py`` or a ``Preset``) as ``coachrl train`` does.

    ``overrides`` are ``--set`` assignments, as a mapping (``{"agent.learning_rate": 1e-3}``)
    or as strings; ``workers`` > 0 trains with Ray rollout workers, ``distributed`` taking the
    rest of their settings (``mode``, ``envs_per_worker``, ``address``, ``max_restarts``,
    ``worker_timeout``). ``on_evaluation(env_steps, mean_return)`` is called after each
    evaluation of a single-process run and stops it by returning True (a tuner's pruner).
    """
    from coachrl.params.tree import apply_overrides
    from coachrl.registry import load_preset
    from coachrl.runtime.run_dir import new_run_dir

    base = load_preset(preset) if isinstance(preset, str) else preset
    assignments = _assignments(overrides)
    for key, value in (("run.seed", seed), ("run.experiment_dir", experiment_dir),
                       ("run.device", device)):
        if value is not None:
            assignments.append(f"{key}={value}")
    if stop_at_threshold:
        assignments.append("run.stop_at_threshold=true")
    if distributed and not workers:
        raise ConfigError(f"{', '.join(sorted(distributed))} apply to workers; "
                          "pass workers=N (N >= 1) to use them")
    if workers:
        assignments.append(f"run.workers={workers}")
        if on_evaluation is not None:
            raise ConfigError("on_evaluation applies to single-process runs (workers=0)")
    for key, value in distributed.items():
        if key not in WORKER_SETTINGS:
            raise ConfigError(f"train() got {key}={value!r}; the worker settings are "
                              f"{', '.join(WORKER_SETTINGS)}")
        assignments.append(f"run.{WORKER_SETTINGS[key]}={value}")
    configured = apply_overrides(base, assignments)
    if configured.run.workers:
        from coachrl.distributed.launch import config_from_run, run_distributed

        with new_run_dir(configured) as run_dir:  # removed again if training cannot start
            outcome = run_distributed(config_from_run(configured.run), configured,
                                      run_dir=run_dir, resume=False, console=console)
    else:
        from coachrl.runtime.batch import trainer_for

        with new_run_dir(configured) as run_dir:
            outcome = trainer_for(configured, run_dir=run_dir, console=console,
                                  on_evaluation=on_evaluation).run()
    c = outcome.counters
    return TrainResult(run_dir=outcome.run_dir, reason=outcome.reason, env_steps=c.env_steps,
                       episodes=c.episodes, last_evaluation=c.last_eval,
                       best_evaluation=c.best_eval if c.evaluations else None,
                       threshold_step=c.threshold_step)


def find_checkpoint(target: Path, which: str = "best") -> tuple[Path, Path]:
    """(run_dir, checkpoint_dir) of a run directory (its best checkpoint when ``which`` is
    "best" and there is one, else its last) or of a checkpoint directory."""
    from coachrl.runtime import checkpoint as ckpt
    from coachrl.runtime.run_dir import CHECKPOINTS

    which = "last" if which == "latest" else which  # the CLI's spelling
    if which not in ("best", "last"):
        raise ConfigError(f"checkpoint={which!r}; expected 'best' or 'last'")
    if (target / ckpt.STATE).is_file():
        return target.parent.parent, target
    if not target.is_dir():
        raise CheckpointError(f"{str(target)!r} does not exist; expected a run directory or a "
                              "checkpoint directory")
    checkpoints = target / CHECKPOINTS
    best = ckpt.resolve(checkpoints, "best") if which == "best" else None
    if best is not None:
        return target, best
    found = ckpt.list_checkpoints(checkpoints)
    if not found:
        raise CheckpointError(f"{str(target)!r} has no checkpoints (looked in {checkpoints})")
    return target, found[-1]


class Policy:
    """A trained agent that acts: built from a run's config and checkpoint, no trainer."""

    def __init__(self, run_dir: Path, checkpoint: Path) -> None:
        from coachrl.registry import env_adapter
        from coachrl.runtime import checkpoint as ckpt
        from coachrl.runtime.build import make_agent, make_backends, make_filters
        from coachrl.runtime.run_dir import load_run_config

        self.run_dir, self.checkpoint = run_dir, checkpoint
        self.preset = load_run_config(run_dir)  # finds user modules through module_dirs
        env = env_adapter()(self.preset.env, seed=0, n_envs=1)  # for its spaces only
        try:
            self.spaces = env.spaces
            learner, actor = make_backends(self.preset)
            # the agent as it trained (its checkpointed buffers are as wide as its envs)
            shape = cast(VectorEnvironment, SimpleNamespace(spaces=env.spaces,
                                                            n_envs=self.preset.env.n_envs))
            self.agent = make_agent(self.preset, shape, learner, actor)
            self.filters = make_filters(self.preset, env)
        finally:
            env.close()
        expect = {"preset": self.preset.name, "agent": type(self.preset.agent).agent_path}
        _, state = ckpt.read_checkpoint(checkpoint, expect=expect)
        self.agent.load_state_dict(state["agent"])
        self.filters.load_state_dict(state["filters"])
        self.env_steps = int(state["counters"]["env_steps"])

    def _batch(self, observations: NDArray) -> tuple[NDArray, bool]:
        """Observations as a batch, and whether one observation came without a batch axis."""
        array = np.asarray(observations)
        space = self.spaces.observation
        single = (array.shape == tuple(space.shape) and not space.is_dict) or (
            space.is_dict and array.ndim == 0)
        if single:
            array = array[None]
        if self.filters.observations is not None:
            array = self.filters.observations(array)
        return array, single

    def act(self, observations: NDArray, *, deterministic: bool = True) -> NDArray:
        """Actions for a batch of observations [B, ...] (or one observation): the policy's mode
        or greedy action when ``deterministic``, else its exploring action."""
        batch, single = self._batch(observations)
        actions = self.agent.act(batch, step=self.env_steps, explore=not deterministic).actions
        return actions[0] if single else actions

    def values(self, observations: NDArray) -> dict[str, NDArray]:
        """The agent's value estimates by name: ``q`` [B, actions] of value-based agents,
        ``value`` [B] of actor-critics; a clear error for agents without one."""
        from coachrl.agent import EstimatesValues

        if not isinstance(self.agent, EstimatesValues):
            raise ConfigError(f"{type(self.agent).__name__} has no value estimates to give")
        batch, single = self._batch(observations)
        estimates = self.agent.value_estimates(batch)
        return {k: v[0] for k, v in estimates.items()} if single else estimates


def load(target: str | Path, *, checkpoint: str = "best") -> Policy | ExportedPolicy:
    """The policy of a run directory (its best checkpoint, else its last; ``checkpoint="last"``
    for the last), of one checkpoint directory, or of a numpy bundle written by
    ``coachrl export --format numpy`` (run by numpy alone: torch is not imported)."""
    if Path(target).suffix == ".npz":
        from coachrl.deploy import ExportedPolicy

        return ExportedPolicy(target)
    if Path(target).suffix == ".onnx":
        raise ConfigError(f"{str(target)!r} is an ONNX model: run it with onnxruntime (see "
                          "docs/deploy.md), or export a numpy bundle for coachrl.load")
    run_dir, path = find_checkpoint(Path(target), checkpoint)
    return Policy(run_dir, path)
