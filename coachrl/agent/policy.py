"""The actor-critic family's base (PPO, A2C/A3C): policy and value heads, rollouts, GAE."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from coachrl.agent.base import Agent, AgentContext
from coachrl.backend import State
from coachrl.core import batch as B
from coachrl.core.batch import ActionInfo, StepResult
from coachrl.core.distributions import categorical_log_prob, gaussian_log_prob
from coachrl.core.metrics import MetricMeans
from coachrl.core.spaces import (
    action_layout,
)
from coachrl.exploration import Categorical, ExplorationPolicy
from coachrl.memories import (
    RolloutBuffer,
)
from coachrl.networks.heads import Distribution
from coachrl.networks.spec import (
    DiscretePolicyHead,
    GaussianPolicyHead,
    VHead,
)
from coachrl.params.base import AgentParams, AlgorithmParams
from coachrl.params.check import in_range, positive


@dataclass(slots=True, kw_only=True)
class PolicyOptimizationAlgorithmParams(AlgorithmParams):
    """Rollout length, GAE and epoch/minibatch settings of on-policy actor-critics."""

    rollout_length: int = 2048  # env steps per env between updates
    gae_lambda: float = 0.95  # GAE lambda; 1 = Monte Carlo, 0 = one-step TD
    epochs: int = 10  # passes over each rollout
    batch_size: int = 64  # minibatch size

    def __post_init__(self) -> None:
        AlgorithmParams.__post_init__(self)
        in_range("gae_lambda", self.gae_lambda, 0.0, 1.0)
        for name in ("rollout_length", "epochs", "batch_size"):
            positive(name, getattr(self, name))


@dataclass(slots=True, kw_only=True)
class PolicyOptimizationParams(AgentParams):
    """An on-policy algorithm acting with its own stochastic policy."""

    algorithm: PolicyOptimizationAlgorithmParams = field(
        default_factory=PolicyOptimizationAlgorithmParams)
    exploration: ExplorationPolicy = field(default_factory=Categorical)


class PolicyOptimizationAgent(Agent):
    """On-policy actor-critic: one network with a policy head and a value head, a rollout buffer."""

    params: PolicyOptimizationParams
    trainable = ("main",)

    def __init__(self, params: PolicyOptimizationParams, context: AgentContext) -> None:
        super().__init__(params, context)
        self.policy_head, self.value_head = self.heads()
        spec = self.network_spec((self.policy_head, self.value_head))
        self.main = self.build_network("main", spec)
        self.acting = self.build_acting_copy(self.main)
        self.use_exploration(params.exploration)
        shape, dtype = action_layout(self.spaces)
        self.buffer = RolloutBuffer(
            horizon=params.algorithm.rollout_length, n_envs=context.n_envs,
            observation_shape=self.spaces.observation.shape,
            observation_dtype=self.spaces.observation.dtype, action_shape=shape,
            action_dtype=dtype,
        )
        self._last_observations: NDArray | None = None

    @abstractmethod
    def heads(self) -> tuple[DiscretePolicyHead | GaussianPolicyHead, VHead]: ...

    @abstractmethod
    def learn_from_batch(self, batch: dict[str, NDArray], *, step: int) -> dict[str, float]: ...

    def act(self, observations: NDArray, *, step: int, explore: bool) -> ActionInfo:
        """Actions only: the values and log-probs a rollout needs are computed for all of its
        steps at once when it is complete (``behaviour``), with the same acting weights."""
        out = self.acting.predict(observations)
        head = self.policy_head
        log_std = (out[head.distribution_outputs()[1]] if head.distribution is Distribution.GAUSSIAN
                   else None)
        actions = self.params.exploration.actions(out[head.name], step=step, rng=self.rng,
                                                  explore=explore, log_std=log_std,
                                                  state=self.exploration_state)
        return ActionInfo(actions, {})

    def value_estimates(self, observations: NDArray) -> dict[str, NDArray]:
        """V(s) of the acting network."""
        return {"value": self.acting.predict(observations)[self.value_head.name]}

    def behaviour(self, observations: NDArray, actions: NDArray) -> dict[str, NDArray]:
        """V(s) and log pi(a|s) under the acting policy, for a batch of steps [B, ...]."""
        out = self.acting.predict(observations)
        head = self.policy_head
        if head.distribution is Distribution.GAUSSIAN:
            log_probs = gaussian_log_prob(actions, *(out[n] for n in head.distribution_outputs()))
        else:
            log_probs = categorical_log_prob(out[head.name], actions.astype(np.int64))
        return {B.VALUES: out[self.value_head.name], B.LOG_PROBS: log_probs}

    def rollout_length(self) -> int:
        return self.params.algorithm.rollout_length

    def widen_rollouts(self, n_envs: int) -> None:
        """A rollout buffer ``n_envs`` wide (the learner of N workers of K envs: N x K)."""
        old = self.buffer
        if old.n_envs != n_envs:
            self.buffer = RolloutBuffer(
                horizon=old.horizon, n_envs=n_envs, observation_shape=old.observations.shape[2:],
                observation_dtype=old.observations.dtype, action_shape=old.actions.shape[2:],
                action_dtype=old.actions.dtype)

    def observe(self, observations: NDArray, info: ActionInfo, result: StepResult) -> None:
        self.end_episodes(result)
        self.buffer.add(observations=observations, actions=info.actions,
                        values=info.extras.get(B.VALUES), log_probs=info.extras.get(B.LOG_PROBS),
                        rewards=result.rewards, terminated=result.terminated,
                        dones=result.dones, valid=result.valid)
        self._last_observations = result.observations

    def ready_to_train(self, step: int) -> bool:
        return self.buffer.full

    def between_updates(self) -> bool:
        return self.buffer.step == 0

    def finish_rollout(self) -> None:
        """Behaviour values and log-probs where the steps came without them, then GAE."""
        p, buffer = self.params.algorithm, self.buffer
        assert self._last_observations is not None
        if not buffer.has_behaviour:
            flat = buffer.observations.reshape(-1, *buffer.observations.shape[2:])
            actions = buffer.actions.reshape(-1, *buffer.actions.shape[2:])
            buffer.set_behaviour(**self.behaviour(flat, actions))
        last_values = self.acting.predict(self._last_observations)[self.value_head.name]
        buffer.finish(last_values=last_values, discount=p.discount, gae_lambda=p.gae_lambda)

    def train(self, step: int) -> dict[str, float]:
        p = self.params.algorithm
        self.finish_rollout()
        self.apply_learning_rate(step)
        metrics = MetricMeans()
        for _ in range(p.epochs):
            for batch in self.buffer.minibatches(p.batch_size, self.rng):
                metrics.add(self.learn_from_batch(batch, step=step))
                self.train_steps += 1
        self.buffer.reset()
        self.sync_acting()
        return metrics.means()

    def sync_acting(self) -> None:
        if self.acting is not self.main:
            self.acting.set_weights(self.main.get_weights())

    def state_dict(self) -> State:
        state = super().state_dict()
        state["buffer"] = self.buffer.state_dict()
        if self._last_observations is not None:
            state["last_observations"] = np.asarray(self._last_observations)
        return state

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        self.buffer.load_state_dict(state["buffer"])
        self._last_observations = state.get("last_observations")
