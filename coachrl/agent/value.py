"""The DQN family's base: online and target networks, replay, e-greedy (or noisy) acting."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from coachrl.agent.base import AgentContext
from coachrl.agent.replay import ReplayAgent, ReplayAlgorithmParams
from coachrl.backend import State
from coachrl.core import batch as B
from coachrl.core.batch import ActionInfo
from coachrl.core.returns import n_step_targets
from coachrl.core.spaces import (
    DiscreteActions,
)
from coachrl.exploration import EGreedy, ExplorationPolicy
from coachrl.memories import (
    PrioritizedReplay,
)
from coachrl.networks.spec import (
    HeadSpec,
)
from coachrl.params.base import AgentParams, MemoryParams
from coachrl.params.check import at_most, positive


@dataclass(slots=True, kw_only=True)
class ValueOptimizationAlgorithmParams(ReplayAlgorithmParams):
    """Replay sampling and target-network settings shared by the DQN family."""

    noise_resample_period: int = 1  # noisy heads: env steps between new acting noise

    def __post_init__(self) -> None:
        ReplayAlgorithmParams.__post_init__(self)
        positive("noise_resample_period", self.noise_resample_period)


@dataclass(slots=True, kw_only=True)
class ValueOptimizationParams(AgentParams):
    """An algorithm, a replay memory and e-greedy exploration."""

    algorithm: ValueOptimizationAlgorithmParams = field(
        default_factory=ValueOptimizationAlgorithmParams)
    memory: MemoryParams = field(default_factory=MemoryParams)
    exploration: ExplorationPolicy = field(default_factory=EGreedy)

    def __post_init__(self) -> None:
        AgentParams.__post_init__(self)
        at_most("algorithm.batch_size", self.algorithm.batch_size, "memory.capacity",
                self.memory.capacity)


class ValueOptimizationAgent(ReplayAgent):
    """Off-policy value learning: online/target networks, uniform replay, e-greedy acting."""

    params: ValueOptimizationParams
    supported_actions = (DiscreteActions,)
    trainable = ("online",)

    def __init__(self, params: ValueOptimizationParams, context: AgentContext) -> None:
        super().__init__(params, context, memory=params.memory)
        spec = self.network_spec(self.heads())
        self.q_name = spec.heads[0].name
        self.online = self.build_network("online", spec)
        self.target = self.build_network("target", spec, trainable=False)
        self.online.copy_to(self.target)
        self.acting = self.build_acting_copy(self.online)
        self.use_exploration(params.exploration)
        # NoisyNet heads (Fortunato et al. 2018): acting noise is redrawn every
        # ``noise_resample_period`` env steps, each gradient step trains under fresh noise, and
        # evaluation acts with the means
        self.noisy = any(head.is_noisy() for head in spec.heads)
        self._noise_epoch = -1

    @abstractmethod
    def heads(self) -> tuple[HeadSpec, ...]: ...

    @abstractmethod
    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]: ...

    def q_values(self, observations: NDArray) -> NDArray:
        return self.acting.predict(observations)[self.q_name]

    def value_estimates(self, observations: NDArray) -> dict[str, NDArray]:
        """Q(s, .) of the acting network (with noisy layers: their means)."""
        if self.noisy:
            self.acting.set_noise(False)
        return {"q": self.q_values(observations)}

    def act(self, observations: NDArray, *, step: int, explore: bool) -> ActionInfo:
        if self.noisy:
            self.acting.set_noise(explore)
            epoch = step // self.params.algorithm.noise_resample_period
            if explore and epoch != self._noise_epoch:
                self.acting.resample_noise(self.rng)
                self._noise_epoch = epoch
        actions, _ = self.params.exploration.select(
            self.q_values(observations), step=step, rng=self.rng, explore=explore,
            state=self.exploration_state)
        return ActionInfo(actions, {})

    def exploration_rate(self, step: int) -> float:
        return self.params.exploration.epsilon(step)

    def ready_to_train(self, step: int) -> bool:
        p = self.params.algorithm
        return (step >= p.learning_starts and len(self.memory) >= p.batch_size
                and self._steps_since_train >= p.train_frequency)

    def before_gradient_step(self) -> None:
        if self.noisy:  # fresh noise for the online and target networks of this step
            self.online.set_noise(True)
            self.online.resample_noise(self.rng)
            self.target.resample_noise(self.rng)

    def target_update_due(self) -> bool:
        p = self.params.algorithm
        return p.target_update_tau < 1.0 or self.train_steps % p.target_update_period == 0

    def update_targets(self, tau: float) -> None:
        self.online.copy_to(self.target, tau=tau)

    def update_priorities(self, batch: dict[str, NDArray], targets: NDArray) -> None:
        """Give sampled transitions priority |target - Q(s, a)| (prioritised replay only; a
        batch not drawn from the memory has no ``indices`` and changes nothing)."""
        if isinstance(self.memory, PrioritizedReplay) and B.INDICES in batch:
            q = self.online.predict(batch[B.OBSERVATIONS])[self.q_name]  # [batch, actions]
            taken = np.take_along_axis(q, batch[B.ACTIONS][:, None].astype(np.int64), 1)[:, 0]
            self.memory.update_priorities(batch[B.INDICES], targets - taken)

    def initial_priorities(self, transitions: dict[str, NDArray]) -> NDArray | None:
        """|r + gamma^m max_a Q(s', a) - Q(s, a)| by the acting network, for a prioritised
        memory (Ape-X's actors: their own copy stands in for the target network)."""
        if not isinstance(self.memory, PrioritizedReplay) or not len(transitions[B.REWARDS]):
            return None
        q = self.acting.predict(transitions[B.OBSERVATIONS])[self.q_name]
        if q.ndim != 2:  # distributional or ensemble heads: left to the learner's max priority
            return None
        next_q = self.acting.predict(transitions[B.NEXT_OBSERVATIONS])[self.q_name].max(1)
        targets = n_step_targets(rewards=transitions[B.REWARDS], next_values=next_q,
                                 terminated=transitions[B.TERMINATED],
                                 discount=self.params.algorithm.discount,
                                 discounts=transitions.get(B.DISCOUNTS))
        taken = np.take_along_axis(q, transitions[B.ACTIONS][:, None].astype(np.int64), 1)[:, 0]
        return np.abs(targets - taken)

    def sync_acting(self) -> None:
        if self.acting is not self.online:
            self.acting.set_weights(self.online.get_weights())

    def state_dict(self) -> State:
        state = super().state_dict()
        if self.noisy:  # the acting noise of now, and when it was drawn: exact resume
            state["acting_noise"] = {key: value for key, value in self.acting.get_weights().items()
                                     if key.endswith(NOISE_BUFFERS)}
            state["noise_epoch"] = self._noise_epoch
        return state

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        if self.noisy and "acting_noise" in state:
            self.acting.set_weights(self.acting.get_weights() | dict(state["acting_noise"]))
            self._noise_epoch = int(state["noise_epoch"])


NOISE_BUFFERS = (".noise_in", ".noise_out")  # NoisyNet layers' current noise, in the weights
