"""Off-policy agents' base: a replay memory of declared columns, n-step transitions."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, ClassVar, cast

import numpy as np
from numpy.typing import NDArray

from coachrl.agent.base import Agent, AgentContext
from coachrl.backend import State
from coachrl.core import batch as B
from coachrl.core.batch import ActionInfo, StepResult
from coachrl.core.metrics import MetricMeans
from coachrl.core.spaces import (
    action_layout,
    with_image_channels,
)
from coachrl.errors import ConfigError
from coachrl.memories import (
    EPISODE_STEPS,
    MC_RETURNS,
    Column,
    Episode,
    EpisodeReturnsBuilder,
    EpisodicMemory,
    FrameReplay,
    GoalReward,
    GoalStrategy,
    NStepBuilder,
    PrioritizedFrameReplay,
    PrioritizedReplay,
    ReplayBuffer,
    hindsight_relabel,
    transition_columns,
)
from coachrl.memories.episodic import Relabel
from coachrl.params.base import AgentParams, AlgorithmParams, Hindsight, MemoryKind, MemoryParams
from coachrl.params.check import in_range, positive


@dataclass(slots=True, kw_only=True)
class ReplayAlgorithmParams(AlgorithmParams):
    """How the replay driver trains: batches, cadence, warm-up and target updates."""

    batch_size: int = 64  # transitions per gradient step
    train_frequency: int = 4  # env steps between training calls
    gradient_steps: int = 1  # gradient steps per training call
    learning_starts: int = 1_000  # env steps before the first update
    target_update_period: int = 1_000  # gradient steps between target updates
    target_update_tau: float = 1.0  # 1 = hard copy, < 1 = soft (Polyak) update every step

    def __post_init__(self) -> None:
        AlgorithmParams.__post_init__(self)
        for name in ("batch_size", "train_frequency", "gradient_steps", "target_update_period"):
            positive(name, getattr(self, name))
        in_range("target_update_tau", self.target_update_tau, 0.0, 1.0, low_open=True)


class ReplayAgent(Agent):
    """Base of off-policy agents: a replay memory of the columns the agent declares, optional
    n-step transitions (``memory.n_step``), and the env steps since the last training call,
    all carried by checkpoints (the memory's contents when ``memory.save_in_checkpoint``).

    A subclass declares extra columns with ``extra_columns()`` and fills them per step in
    ``step_extras`` (by default from ``ActionInfo.extras``); ``observe`` stores them with every
    transition, n-step or not.
    """

    memory: ReplayBuffer | EpisodicMemory
    # transitions wait for their episode's end and carry their Monte-Carlo return (MMC)
    monte_carlo_returns: ClassVar[bool] = False

    def __init__(self, params: AgentParams, context: AgentContext, *,
                 memory: MemoryParams) -> None:
        super().__init__(params, context)
        self.memory_params = memory
        self._steps_since_train = 0
        carried = self.memory_columns()
        self.n_step: NStepBuilder | None = None
        self.episode_returns: EpisodeReturnsBuilder | None = None
        episodic = memory.kind is MemoryKind.EPISODIC
        if self.monte_carlo_returns or episodic:  # transitions wait for their episode's end
            if memory.n_step > 1:
                raise ConfigError(f"{type(self).__name__} with memory.kind={memory.kind.value!r}"
                                  f" stores whole episodes of one-step transitions; "
                                  f"memory.n_step={memory.n_step} must be 1")
            self.episode_returns = EpisodeReturnsBuilder(discount=params.algorithm.discount,
                                                         n_envs=context.n_envs)
            carried = (*carried, Column(MC_RETURNS), Column(EPISODE_STEPS, (), np.int64))
        if memory.n_step > 1:
            step_columns = [c for c in carried if c.name not in NSTEP_COMPUTED]
            self.n_step = NStepBuilder(n=memory.n_step, discount=params.algorithm.discount,
                                       n_envs=context.n_envs, columns=step_columns)
            carried = (*carried, Column(B.DISCOUNTS))
        layout: dict[str, Any] = {"capacity": memory.capacity, "columns": carried}
        if memory.kind == "prioritized":
            layout["priority_exponent"] = memory.priority_exponent
        # hindsight relabelling draws from a generator of its own, spawned from the agent's
        # (which it leaves as it is): the learner's relabels then interleave with no acting
        # draws, so an episode relabels alike in one process and from rollout workers
        relabel = _hindsight(memory) if episodic else None
        self.relabel_rng = self.rng.spawn(1)[0] if relabel is not None else None
        if episodic:
            self.memory = EpisodicMemory(capacity=memory.capacity, columns=carried,
                                         relabel=relabel, rng=self.relabel_rng or self.rng)
        elif memory.store_frames_once:
            observation = with_image_channels(self.spaces.observation,
                                              params.network.image_channels)
            if not observation.is_image:
                raise ConfigError(f"memory.store_frames_once=true needs stacked image "
                                  f"observations; this env's are {observation.shape}")
            layout["stack_axis"] = 0 if observation.channels_first else -1
            self.memory = (PrioritizedFrameReplay(**layout) if memory.kind == "prioritized"
                           else FrameReplay(**layout))
        else:
            self.memory = (PrioritizedReplay(**layout) if memory.kind == "prioritized"
                           else ReplayBuffer(**layout))

    def extra_columns(self) -> tuple[Column, ...]:
        """Columns this agent stores beside (s, a, r, s', terminated); none by default."""
        return ()

    def memory_columns(self) -> tuple[Column, ...]:
        shape, dtype = action_layout(self.spaces)
        observation = self.spaces.observation
        return transition_columns(observation_shape=observation.shape,
                                  observation_dtype=observation.dtype, action_shape=shape,
                                  action_dtype=dtype, extra=self.extra_columns())

    def stored_actions(self, actions: NDArray) -> NDArray:
        """The actions as the memory keeps them (SAC keeps them in [-1, 1])."""
        return actions

    def step_extras(self, info: ActionInfo) -> dict[str, NDArray]:
        """Per-env values [N, ...] of the extra columns for one step."""
        return {column.name: info.extras[column.name] for column in self.extra_columns()}

    def observe(self, observations: NDArray, info: ActionInfo, result: StepResult) -> None:
        self.end_episodes(result)
        self.store(self.transitions(observations, info, result),
                   env_steps=int(result.valid.sum()))

    def transitions(self, observations: NDArray, info: ActionInfo,
                    result: StepResult) -> dict[str, NDArray]:
        """The transitions one step of every env completes: one per valid env, or the n-step
        transitions whose windows it fills or ends. A rollout worker builds them this way and
        sends them; the learner ``store``s them."""
        valid = result.valid
        step = {B.OBSERVATIONS: observations, B.ACTIONS: self.stored_actions(info.actions),
                **self.step_extras(info)}
        if self.n_step is not None:
            return self.n_step.add(step, rewards=result.rewards,
                                   next_observations=result.observations,
                                   terminated=result.terminated, truncated=result.truncated,
                                   valid=valid)
        if self.episode_returns is not None:
            return self.episode_returns.add(
                step | {B.REWARDS: result.rewards, B.NEXT_OBSERVATIONS: result.observations,
                        B.TERMINATED: result.terminated}, dones=result.dones, valid=valid)
        transitions = {key: value[valid] for key, value in step.items()}
        transitions[B.REWARDS] = result.rewards[valid]
        transitions[B.NEXT_OBSERVATIONS] = result.observations[valid]
        transitions[B.TERMINATED] = result.terminated[valid]
        return transitions

    def store(self, transitions: dict[str, NDArray], *, env_steps: int,
              priorities: NDArray | None = None) -> None:
        """Add transitions (``env_steps`` env steps' worth) to the memory; a prioritised
        memory takes ``priorities`` (|TD errors| a rollout worker computed) instead of giving
        new transitions the largest priority seen."""
        self._steps_since_train += env_steps
        if isinstance(self.memory, EpisodicMemory):  # whole episodes, each relabelled
            bounds = [*np.flatnonzero(transitions[EPISODE_STEPS] == 0).tolist(),
                      len(transitions[B.REWARDS])]
            for first, end in pairwise(bounds):
                self.memory.add_episode(Episode({k: v[first:end] for k, v in transitions.items()}))
        elif priorities is not None and isinstance(self.memory, PrioritizedReplay):
            self.memory.add(transitions, priorities=priorities)
        else:
            self.memory.add(transitions)

    def track_transitions(self, transitions: dict[str, NDArray]) -> None:
        """What a worker's copy of the agent does with the transitions it built, before the
        learner's next weights arrive: an agent whose acting reads state that storing grows
        (NEC's dictionaries) grows its copy here, so the worker acts as the learner would;
        nothing by default."""
        del transitions

    def initial_priorities(self, transitions: dict[str, NDArray]) -> NDArray | None:
        """|TD errors| of new transitions by the acting networks (Ape-X's actors compute
        them); None where the agent has none to give."""
        del transitions
        return None

    def ready_to_train(self, step: int) -> bool:
        """Past ``learning_starts``, a batch in the memory, ``train_frequency`` env steps since
        the last training call."""
        p = self.replay
        return (step >= p.learning_starts and len(self.memory) >= p.batch_size
                and self._steps_since_train >= p.train_frequency)

    def steps_to_training(self, step: int) -> int:
        """Env steps before the agent can next be ready to train, ``step`` env steps into the
        run (a lower bound, at least 1): a sync rollout worker's fragment ends there."""
        p = self.replay
        return max(p.learning_starts - step, p.train_frequency - self._steps_since_train, 1)

    # -- the replay driver: gradient steps on sampled batches, target updates ----------------
    @property
    def replay(self) -> ReplayAlgorithmParams:
        """The algorithm's replay-driver settings."""
        return cast(ReplayAlgorithmParams, self.params.algorithm)

    def train(self, step: int) -> dict[str, float]:
        """``gradient_steps`` updates on batches sampled from the memory (the algorithm's
        ``learn_from_batch``), each followed by its target update when due; the acting copy
        follows the new weights."""
        p = self.replay
        self._steps_since_train = 0
        self.prepare_training(step)
        metrics = MetricMeans()
        for _ in range(p.gradient_steps):
            self.before_gradient_step()
            metrics.add(self.learn_from_batch(self.sample(step)))
            self.train_steps += 1
            if self.target_update_due():
                self.update_targets(p.target_update_tau)
        self.sync_acting()
        return metrics.means()

    @abstractmethod
    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]: ...

    def prepare_training(self, step: int) -> None:
        """Before a training call: the scheduled learning rate."""
        self.apply_learning_rate(step)

    def before_gradient_step(self) -> None:
        """Before each gradient step (NoisyNet draws new noise here)."""

    def target_update_due(self) -> bool:
        """Whether the target networks follow after this gradient step."""
        return self.train_steps % self.replay.target_update_period == 0

    def update_targets(self, tau: float) -> None:
        """target <- tau * online + (1 - tau) * target, for each target network."""

    def sample(self, step: int) -> dict[str, NDArray]:
        """A training batch; from prioritised replay it carries ``weights`` and ``indices``,
        the importance exponent annealed from ``memory.importance_exponent`` to 1."""
        size = self.replay.batch_size
        if not isinstance(self.memory, PrioritizedReplay):
            return self.memory.sample(size, self.rng)
        start = self.memory_params.importance_exponent
        fraction = min(step / max(self.context.total_steps, 1), 1.0)
        return self.memory.sample(size, self.rng,
                                  importance_exponent=start + fraction * (1.0 - start))

    def state_dict(self) -> State:
        state = super().state_dict()
        state["steps_since_train"] = self._steps_since_train
        if self.n_step is not None:  # partial sequences: exact resume needs them
            state["n_step"] = self.n_step.state_dict()
        if self.episode_returns is not None:  # unfinished episodes, likewise
            state["episode_returns"] = self.episode_returns.state_dict()
        if self.relabel_rng is not None:
            state["relabel_rng"] = self.relabel_rng.bit_generator.state
        if self.memory_params.save_in_checkpoint:
            state["memory"] = self.memory.state_dict()
        return state

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        self._steps_since_train = int(state["steps_since_train"])
        if self.n_step is not None:
            self.n_step.load_state_dict(state["n_step"])
        if self.episode_returns is not None:
            self.episode_returns.load_state_dict(state["episode_returns"])
        if self.relabel_rng is not None and "relabel_rng" in state:
            self.relabel_rng.bit_generator.state = state["relabel_rng"]
        if "memory" in state:
            self.memory.load_state_dict(state["memory"])


NSTEP_COMPUTED = frozenset({B.REWARDS, B.NEXT_OBSERVATIONS, B.TERMINATED})  # built by n-step


def _hindsight(memory: MemoryParams) -> Relabel | None:
    """The hindsight relabelling hook the memory params ask for, if any."""
    if memory.hindsight is Hindsight.NONE:
        return None
    success, failure = memory.goal_rewards
    return hindsight_relabel(strategy=GoalStrategy(memory.hindsight.value),
                             goals=memory.hindsight_goals,
                             reward=GoalReward(tolerance=memory.goal_tolerance, success=success,
                                               failure=failure),
                             terminate_on_success=memory.goal_terminates)
