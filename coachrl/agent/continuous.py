"""Base of the replay actor-critics for Box actions (SAC, DDPG, TD3): the policy acts in
[-1, 1]^D, mapped onto the action bounds, and the replay keeps actions in [-1, 1]; Q(s, a)
critics read [observation, action]; one actor-critic update across the networks comes from
the learner backend (a rollout worker's copy, on numpy, only acts)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from coachrl.agent.base import AgentContext, PolicyExport
from coachrl.agent.replay import ReplayAgent
from coachrl.backend import ActorCriticUpdate, Network, State
from coachrl.core.spaces import BoxActions
from coachrl.errors import ConfigError, IncompatibleSpaces
from coachrl.networks.spec import (
    ActionValueHead,
    FCMiddleware,
    Head,
    NetworkSpec,
    action_value_spec,
    flat_vectors,
)
from coachrl.params.base import AgentParams, MemoryParams


class ContinuousActorCriticAgent(ReplayAgent):
    """Holds ``actor`` (trainable), ``critic`` (trainable) and ``acting``; a subclass builds
    them, its target networks and ``update``."""

    supported_actions = (BoxActions,)
    trainable = ("actor", "critic")
    actor: Network
    critic: Network
    acting: Network
    policy_head: Head

    def __init__(self, params: AgentParams, context: AgentContext, *,
                 memory: MemoryParams) -> None:
        super().__init__(params, context, memory=memory)
        action, observation = self.spaces.action, self.spaces.observation
        assert isinstance(action, BoxActions)
        if not flat_vectors(observation):  # critics append the action to it
            raise IncompatibleSpaces(f"{type(self).__name__} needs vector observations (or a "
                                     f"Dict of vectors), not {observation}")
        self.low = np.asarray(action.low, np.float32)
        self.high = np.asarray(action.high, np.float32)
        self.half_range = (self.high - self.low) / 2  # [dim]
        self.update: ActorCriticUpdate | None = None  # set by a subclass on a torch learner

    def critic_spec(self, head: ActionValueHead) -> NetworkSpec:
        """Q(s, a) critics over [observation, action] with the agent's middleware."""
        net = self.params.network
        return action_value_spec(
            self.spaces.observation, head,
            middleware=FCMiddleware(hidden_sizes=net.hidden_sizes, activation=net.activation),
            ortho_init=net.ortho_init)

    def policy_export(self) -> PolicyExport:
        """The actor alone: Q(s, a) needs the critics, which the export does not carry."""
        return self.exported(self.acting, self.policy_head.name, values={}, continuous=True,
                             bounds=(self.low, self.high))

    def to_bounds(self, unit: NDArray) -> NDArray:
        """Actions in [-1, 1]^D as the env's, on its bounds."""
        return (self.low + (unit + 1.0) * self.half_range).astype(np.float32)

    def stored_actions(self, actions: NDArray) -> NDArray:
        return (actions - self.low) / self.half_range - 1.0  # replay keeps [-1, 1]

    def ready_to_train(self, step: int) -> bool:
        p = self.replay
        return step > p.learning_starts and self._steps_since_train >= p.train_frequency

    def prepare_training(self, step: int) -> None:
        if self.update is None:
            raise ConfigError(f"{type(self).__name__} trains on a backend with actor-critic "
                              f"updates (torch), not {self.context.learner.name!r}")
        self.update.set_learning_rate(self.apply_learning_rate(step))

    def state_dict(self) -> State:
        return super().state_dict() | ({"update": self.update.state_dict()} if self.update else {})

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        if self.update is not None and "update" in state:
            self.update.load_state_dict(state["update"])
