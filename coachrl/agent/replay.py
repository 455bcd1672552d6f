"""Off-policy agents' base: a replay memory of declared columns, n-step transitions."""

from __future__ import annotations

from typing import Any

from numpy.typing import NDArray

from coachrl.agent.base import Agent, AgentContext
from coachrl.backend import State
from coachrl.core import batch as B
from coachrl.core.batch import ActionInfo, StepResult
from coachrl.core.spaces import (
    action_layout,
    with_image_channels,
)
from coachrl.errors import ConfigError
from coachrl.memories import (
    Column,
    FrameReplay,
    NStepBuilder,
    PrioritizedFrameReplay,
    PrioritizedReplay,
    ReplayBuffer,
    transition_columns,
)
from coachrl.params.base import AgentParams, MemoryParams


class ReplayAgent(Agent):
    """Base of off-policy agents: a replay memory of the columns the agent declares, optional
    n-step transitions (``memory.n_step``), and the env steps since the last training call,
    all carried by checkpoints (the memory's contents when ``memory.save_in_checkpoint``).

    A subclass declares extra columns with ``extra_columns()`` and fills them per step in
    ``step_extras`` (by default from ``ActionInfo.extras``); ``observe`` stores them with every
    transition, n-step or not.
    """

    memory: ReplayBuffer

    def __init__(self, params: AgentParams, context: AgentContext, *,
                 memory: MemoryParams) -> None:
        super().__init__(params, context)
        self.memory_params = memory
        self._steps_since_train = 0
        carried = self.memory_columns()
        self.n_step: NStepBuilder | None = None
        if memory.n_step > 1:
            step_columns = [c for c in carried if c.name not in NSTEP_COMPUTED]
            self.n_step = NStepBuilder(n=memory.n_step, discount=params.algorithm.discount,
                                       n_envs=context.n_envs, columns=step_columns)
            carried = (*carried, Column(B.DISCOUNTS))
        layout: dict[str, Any] = {"capacity": memory.capacity, "columns": carried}
        if memory.kind == "prioritized":
            layout["priority_exponent"] = memory.priority_exponent
        if memory.store_frames_once:
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
        valid = result.valid
        self._steps_since_train += int(valid.sum())
        self.end_episodes(result)
        step = {B.OBSERVATIONS: observations, B.ACTIONS: self.stored_actions(info.actions),
                **self.step_extras(info)}
        if self.n_step is not None:
            self.memory.add(self.n_step.add(
                step, rewards=result.rewards, next_observations=result.observations,
                terminated=result.terminated, truncated=result.truncated, valid=valid))
            return
        transitions = {key: value[valid] for key, value in step.items()}
        transitions[B.REWARDS] = result.rewards[valid]
        transitions[B.NEXT_OBSERVATIONS] = result.observations[valid]
        transitions[B.TERMINATED] = result.terminated[valid]
        self.memory.add(transitions)

    def state_dict(self) -> State:
        state = super().state_dict()
        state["steps_since_train"] = self._steps_since_train
        if self.n_step is not None:  # partial sequences: exact resume needs them
            state["n_step"] = self.n_step.state_dict()
        if self.memory_params.save_in_checkpoint:
            state["memory"] = self.memory.state_dict()
        return state

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        self._steps_since_train = int(state["steps_since_train"])
        if self.n_step is not None:
            self.n_step.load_state_dict(state["n_step"])
        if "memory" in state:
            self.memory.load_state_dict(state["memory"])


NSTEP_COMPUTED = frozenset({B.REWARDS, B.NEXT_OBSERVATIONS, B.TERMINATED})  # built by n-step
