"""Building a run's pieces from a preset: backends, envs, filters and the agent."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.agent import Agent, AgentContext
from coachrl.backend import Backend, make_backend
from coachrl.core.batch import StepResult
from coachrl.core.environment import VectorEnvironment
from coachrl.core.seeding import derive_seed, seed_everything
from coachrl.errors import ConfigError, IncompatibleSpaces
from coachrl.filters import ObservationNormalizer, RewardFilter
from coachrl.params.base import Preset
from coachrl.params.tree import load_class
from coachrl.registry import env_adapter
from coachrl.runtime.threads import limit_numpy_threads

ENV_STREAM, EVAL_STREAM, AGENT_STREAM = 1, 2, 3


@dataclass(slots=True)
class Filters:
    """The run's observation normaliser (optional) and reward filter."""

    observations: ObservationNormalizer | None
    rewards: RewardFilter

    def observations_of(self, observations: NDArray, *, update: bool) -> NDArray:
        """Observations as the agent sees them; ``update`` feeds the normaliser's statistics
        (training steps), evaluation leaves them alone."""
        if self.observations is None:
            return observations
        if update:
            self.observations.update(observations)
        return self.observations(observations)

    def step(self, result: StepResult) -> StepResult:
        """A training step's result with the observation and reward filters applied."""
        if self.observations is None and self.rewards.is_identity:
            return result  # the common case, on the per-step path
        return dataclasses.replace(
            result, observations=self.observations_of(result.observations, update=True),
            rewards=self.rewards(result.rewards))

    def state_dict(self) -> dict:
        return {"observations": self.observations.state_dict() if self.observations else {}}

    def since(self, earlier: dict) -> dict:
        """What the statistics learnt after ``earlier`` (a ``state_dict``): a rollout worker's
        contribution, which the learner ``merge``s."""
        if self.observations is None:
            return {}
        return {"observations": self.observations.since(earlier["observations"])}

    def merge(self, contribution: dict) -> None:
        """Add a worker's ``since`` to these statistics."""
        if self.observations is not None and contribution.get("observations"):
            new = contribution["observations"]
            if new["count"] > 0:
                self.observations.merge(np.asarray(new["mean"]), np.asarray(new["var"]),
                                        float(new["count"]))

    def load_state_dict(self, state: dict) -> None:
        if self.observations is not None:
            self.observations.load_state_dict(state["observations"])


def make_envs(preset: Preset, *, eval_episodes: int) -> tuple[VectorEnvironment, VectorEnvironment]:
    adapter = env_adapter()
    seed = preset.run.seed
    train = adapter(preset.env, seed=derive_seed(seed, ENV_STREAM))
    evaluation = adapter(preset.env, seed=derive_seed(seed, EVAL_STREAM), n_envs=eval_episodes,
                         training=False)  # no training-only preprocessing (Atari's life loss)
    return train, evaluation


def make_filters(preset: Preset, env: VectorEnvironment) -> Filters:
    f = preset.env.filters
    if f.normalize_observations and env.spaces.observation.is_dict:
        raise ConfigError("env.filters.normalize_observations=true is not supported for Dict "
                          "observations (each key would need its own statistics); set it false")
    normalizer = (ObservationNormalizer(env.spaces.observation.shape, clip=f.observation_clip)
                  if f.normalize_observations else None)
    return Filters(normalizer, RewardFilter(scale=f.reward_scale, clip=f.reward_clip))


def make_backends(preset: Preset) -> tuple[Backend, Backend]:
    """(learner, actor). The actor is the learner itself when acting uses the same backend."""
    seed_everything(preset.run.seed)  # python and numpy globals, for envs and user code using them
    limit_numpy_threads(preset.run.numpy_threads)
    learner = make_backend("torch", device=preset.run.device, threads=preset.run.torch_threads)
    learner.seed(preset.run.seed)
    if preset.agent.inference_backend == "torch":
        return learner, learner
    return learner, make_backend(preset.agent.inference_backend)


def make_agent(preset: Preset, env: VectorEnvironment, learner: Backend, actor: Backend) -> Agent:
    path = type(preset.agent).agent_path
    try:
        agent_class = load_class(path)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"agent {path!r} cannot be imported: {exc}") from None
    context = AgentContext(
        spaces=env.spaces, n_envs=env.n_envs, learner=learner, actor=actor,
        rng=np.random.default_rng(derive_seed(preset.run.seed, AGENT_STREAM)),
        total_steps=int(preset.schedule.improve_steps),
    )
    try:
        return agent_class(preset.agent, context)
    except IncompatibleSpaces as exc:  # say which env, and which agents would fit it
        fitting = agents_for(env.spaces.action)
        raise IncompatibleSpaces(
            f"env.env_id={preset.env.env_id!r}: {exc}; its observations are "
            f"{env.spaces.observation}. Agents that fit its actions: "
            f"{', '.join(fitting) or 'none installed'} (coachrl presets lists their presets)"
        ) from None


def agents_for(action: Any) -> list[str]:
    """The built-in agents whose action spaces include ``action``: each ``coachrl.agents``
    module's params name the agent they build (``agent_path``), which declares its spaces."""
    package = importlib.import_module("coachrl.agents")
    names = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"coachrl.agents.{info.name}")
        for value in vars(module).values():
            path = getattr(value, "agent_path", None)
            if isinstance(path, str) and path.startswith(f"{module.__name__}:"):
                agent = load_class(path)
                if isinstance(action, getattr(agent, "supported_actions", ())):
                    names.add(agent.__name__.removesuffix("Agent"))
    return sorted(names)
