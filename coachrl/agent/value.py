"""The DQN family's base: online and target networks, replay, e-greedy (or noisy) acting."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from coachrl.agent.base import AgentContext, PolicyExport
from coachrl.agent.replay import ReplayAgent, ReplayAlgorithmParams
from coachrl.backend import State
from coachrl.core import batch as B
from coachrl.core.batch import ActionInfo
from coachrl.core.returns import n_step_targets, quantile_targets
from coachrl.core.spaces import DiscreteActions
from coachrl.exploration import EGreedy, ExplorationPolicy
from coachrl.memories import PrioritizedReplay
from coachrl.networks.spec import (
    DuelingQHead,
    HeadSpec,
    ImplicitQuantileHead,
    QHead,
    QLoss,
    QuantileQHead,
    Regression,
)
from coachrl.params.base import AgentParams, MemoryParams
from coachrl.params.check import at_most, choice, positive


@dataclass(slots=True, kw_only=True)
class ValueOptimizationAlgorithmParams(ReplayAlgorithmParams):
    """Replay sampling and target-network settings shared by the DQN family."""

    noise_resample_period: int = 1  # noisy heads: env steps between new acting noise

    def __post_init__(self) -> None:
        ReplayAlgorithmParams.__post_init__(self)
        positive("noise_resample_period", self.noise_resample_period)


@dataclass(slots=True, kw_only=True)
class QLearningAlgorithmParams(ValueOptimizationAlgorithmParams):
    """Agents that regress Q(s, a) onto scalar targets (DQN, Double DQN, PAL, Munchausen)."""

    loss: Regression = Regression.HUBER  # the TD loss
    noisy: bool = False  # NoisyNet output layer (Fortunato et al. 2018); pair with Greedy()
    dueling: bool = False  # dueling value and advantage streams (Wang et al. 2016)

    def __post_init__(self) -> None:
        ValueOptimizationAlgorithmParams.__post_init__(self)
        self.loss = choice("loss", self.loss, Regression)


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
        self.q_head = spec.heads[0]  # acting reads Q(s, .) under its name
        self.q_name = self.q_head.name
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

    def policy_export(self) -> PolicyExport:
        return self.exported(self.acting, self.q_name, values={"q": self.q_name})

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

    @property
    def prioritized(self) -> bool:
        """Whether the memory samples by priority (and wants new ones after each update)."""
        return isinstance(self.memory, PrioritizedReplay)

    def update_priorities(self, batch: dict[str, NDArray], targets: NDArray) -> None:
        """Give sampled transitions priority |target - Q(s, a)| (prioritised replay only; a
        batch not drawn from the memory has no ``indices`` and changes nothing)."""
        if self.prioritized and B.INDICES in batch:
            q = self.online.predict(batch[B.OBSERVATIONS])[self.q_name]  # [batch, actions]
            self.set_priorities(batch, targets - taken_values(q, batch[B.ACTIONS]))

    def set_priorities(self, batch: dict[str, NDArray], errors: NDArray) -> None:
        """Priorities |errors| [batch] for the sampled transitions (distributional agents give
        their per-sample loss); nothing without prioritised replay or ``indices``."""
        if isinstance(self.memory, PrioritizedReplay) and B.INDICES in batch:
            self.memory.update_priorities(batch[B.INDICES], errors)

    # -- steps the family's agents share -----------------------------------------------------
    def q_regression_head(self) -> QHead | DuelingQHead:
        """Q(s, .) regressed onto scalar targets, as ``QLearningAlgorithmParams`` configure it."""
        p = self.params.algorithm
        assert isinstance(p, QLearningAlgorithmParams)
        head = DuelingQHead if p.dueling else QHead
        return head(n_actions=self.spaces.action.n,  # type: ignore[union-attr]
                    noisy=p.noisy, loss=QLoss(kind=p.loss))

    def td_targets(self, batch: dict[str, NDArray], next_values: NDArray) -> NDArray:
        """r + gamma^m (1 - terminated) V(s') [batch] (``discounts``: an n-step memory's)."""
        return n_step_targets(
            rewards=batch[B.REWARDS], next_values=next_values, terminated=batch[B.TERMINATED],
            discount=self.params.algorithm.discount, discounts=batch.get(B.DISCOUNTS))

    def fit(self, batch: dict[str, NDArray], targets: NDArray) -> dict[str, float]:
        """One gradient step of Q(s, a) toward ``targets``, importance-weighted from
        prioritised replay, whose priorities become |TD error| before the update."""
        train_batch = {B.OBSERVATIONS: batch[B.OBSERVATIONS], B.ACTIONS: batch[B.ACTIONS],
                       B.TARGETS: targets}
        if B.WEIGHTS in batch:  # prioritised replay: importance-sampling correction
            train_batch[B.WEIGHTS] = batch[B.WEIGHTS]
        self.update_priorities(batch, targets)  # |TD error| before this update
        return self.online.train_on_batch(train_batch)

    def fit_quantiles(self, batch: dict[str, NDArray], *, double: bool) -> dict[str, float]:
        """One quantile-regression step (QR-DQN, IQN): target samples r + gamma^m theta_j(s', a*)
        of the target network, a* by the quantiles' mean; priorities |mean target - Q(s, a)|."""
        head = self.q_head
        assert isinstance(head, QuantileQHead | ImplicitQuantileHead)
        out = self.target.predict(batch[B.NEXT_OBSERVATIONS])
        best = self.next_actions(batch[B.NEXT_OBSERVATIONS], out[self.q_name], double=double)
        targets = quantile_targets(
            next_quantiles=taken_values(out[head.quantiles_name], best),
            rewards=batch[B.REWARDS], terminated=batch[B.TERMINATED],
            discount=self.params.algorithm.discount, discounts=batch.get(B.DISCOUNTS))
        self.update_priorities(batch, targets.mean(-1))
        return self.online.train_on_batch(
            {key: batch[key] for key in (B.OBSERVATIONS, B.ACTIONS, B.WEIGHTS) if key in batch}
            | {B.TARGETS: targets})

    def next_actions(self, next_observations: NDArray, target_q: NDArray, *,
                     double: bool) -> NDArray:
        """a* at s' [batch]: argmax of the target network's Q (``target_q``), or of the online
        network's with ``double`` (van Hasselt et al. 2016)."""
        q = self.online.predict(next_observations)[self.q_name] if double else target_q
        return q.argmax(-1)

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
        return np.abs(targets - taken_values(q, transitions[B.ACTIONS]))

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


def taken_values(values: NDArray, actions: NDArray) -> NDArray:
    """values[i, actions[i]] of a [batch, actions, ...] array: [batch, ...]."""
    return values[np.arange(len(actions)), actions.astype(np.int64)]
