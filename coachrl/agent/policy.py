"""The actor-critic family's base (PPO, A2C/A3C): a policy head and a value head on the rollout
driver."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.agent.base import AgentContext, PolicyExport
from coachrl.agent.recurrent import RecurrentStates
from coachrl.agent.rollout import RolloutAgent, RolloutAlgorithmParams
from coachrl.backend import Network, State
from coachrl.core import batch as B
from coachrl.core.batch import ActionInfo, StepResult
from coachrl.core.distributions import categorical_log_prob, gaussian_log_prob
from coachrl.core.spaces import DiscreteActions
from coachrl.exploration import Categorical, ExplorationPolicy
from coachrl.networks.heads import Distribution
from coachrl.networks.heads.policy import LikelihoodRatioLoss
from coachrl.networks.spec import DiscretePolicyHead, GaussianPolicyHead, VHead, flat_vectors
from coachrl.params.base import AgentParams


@dataclass(slots=True, kw_only=True)
class PolicyOptimizationAlgorithmParams(RolloutAlgorithmParams):
    """Rollout length, GAE and epoch/minibatch settings of on-policy actor-critics."""


@dataclass(slots=True, kw_only=True)
class PolicyOptimizationParams(AgentParams):
    """An on-policy algorithm acting with its own stochastic policy."""

    algorithm: PolicyOptimizationAlgorithmParams = field(
        default_factory=PolicyOptimizationAlgorithmParams)
    exploration: ExplorationPolicy = field(default_factory=Categorical)


def policy_head(action: Any, loss: LikelihoodRatioLoss) -> DiscretePolicyHead | GaussianPolicyHead:
    """A categorical policy head for discrete actions, a diagonal Gaussian one for Box actions,
    trained by ``loss``."""
    if isinstance(action, DiscreteActions):
        return DiscretePolicyHead(n_actions=action.n, loss=loss)
    return GaussianPolicyHead(action_dim=action.dim, loss=loss)


class PolicyOptimizationAgent(RolloutAgent):
    """On-policy actor-critic: one network with a policy head and a value head.

    With an LSTM middleware (``network.middleware='lstm'``) the policy is recurrent: each env's
    state is carried from step to step (``RecurrentStates``), every step stores the state it
    acted from with its value and log-prob, and training unrolls sequences from those states.
    """

    params: PolicyOptimizationParams
    trainable = ("main",)
    carries_recurrent_state = True

    def __init__(self, params: PolicyOptimizationParams, context: AgentContext) -> None:
        super().__init__(params, context)
        self.policy_head, self.value_head = self.heads()
        spec = self.network_spec((self.policy_head, self.value_head))
        self.main = self.build_network("main", spec)
        self.acting = self.build_acting_copy(self.main)
        self.use_exploration(params.exploration)
        self.recurrent = (RecurrentStates(spec.recurrent_state_size, context.n_envs)
                          if spec.recurrent_state_size else None)
        # behaviour values and log-probs from the acting pass itself: a recurrent policy's
        # depend on the state it acted from; over images a second pass of the rollout's frames
        # (``behaviour``) cost about half of Atari PPO's collection (benchmarks, row 16)
        self.behaviour_with_actions = (self.recurrent is not None
                                       or not flat_vectors(self.spaces.observation))
        # otherwise acting reads the policy alone (the numpy backend then skips the critic)
        self.acting_heads = None if self.behaviour_with_actions else (self.policy_head.name,)

    @abstractmethod
    def heads(self) -> tuple[DiscretePolicyHead | GaussianPolicyHead, VHead]: ...

    def act(self, observations: NDArray, *, step: int, explore: bool) -> ActionInfo:
        """Actions only: the values and log-probs a rollout needs are computed for all of its
        steps at once when it is complete (``behaviour``), with the same acting weights. A
        recurrent policy's, and one's over images, come with its actions
        (``behaviour_with_actions``)."""
        if self.recurrent is None:
            out, extras = self.acting.predict(observations, heads=self.acting_heads), {}
        else:
            state = self.recurrent.current(explore=explore, count=len(observations))
            out = self.acting.predict(observations, state)
            self.recurrent.update(out[B.RECURRENT_STATE], explore=explore)
            extras = {B.RECURRENT_STATE: state}
        head = self.policy_head
        log_std = (out[head.distribution_outputs()[1]] if head.distribution is Distribution.GAUSSIAN
                   else None)
        actions = self.params.exploration.actions(out[head.name], step=step, rng=self.rng,
                                                  explore=explore, log_std=log_std,
                                                  state=self.exploration_state)
        if self.behaviour_with_actions:
            extras |= self.behaviour_of(out, actions)
        return ActionInfo(actions, extras)

    def repeated_batch(self) -> Any:
        """The whole rollout on the learner's device, where one minibatch of it is every epoch's
        (RL-zoo's CartPole PPO: 20 epochs of its 256 steps): the algorithms of this family hand
        their batches to ``main`` unchanged. With its advantages normalised once, this took a
        CartPole PPO update from 936 to 781 us (median of 16 interleaved blocks each way)."""
        if not self.covered_by_one_minibatch():
            return None
        return self.main.device_batch(self.buffer.whole())

    def forget_ended_episodes(self, result: StepResult) -> None:
        if self.recurrent is not None:
            self.recurrent.forget(result)

    def start_evaluation(self, n_envs: int) -> None:
        if self.recurrent is not None:
            self.recurrent.start_evaluation(n_envs)

    def state_dict(self) -> State:
        state = super().state_dict()
        if self.recurrent is not None:
            state["recurrent_state"] = self.recurrent.training.copy()
        return state

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        if self.recurrent is not None and "recurrent_state" in state:
            self.recurrent.update(np.asarray(state["recurrent_state"], np.float32), explore=True)

    def policy_export(self) -> PolicyExport:
        return self.exported(self.acting, self.policy_head.name,
                             values={"value": self.value_head.name},
                             continuous=self.policy_head.distribution is Distribution.GAUSSIAN)

    def value_estimates(self, observations: NDArray) -> dict[str, NDArray]:
        """V(s) of the acting network; a recurrent one's from the state its next deterministic
        step would act from (not advanced)."""
        if self.recurrent is None:
            return {"value": self.acting.predict(observations)[self.value_head.name]}
        state = self.recurrent.current(explore=False, count=len(observations))
        return {"value": self.acting.predict(observations, state)[self.value_head.name]}

    def bootstrap_values(self, observations: NDArray) -> NDArray:
        if self.recurrent is None:
            return self.acting.predict(observations)[self.value_head.name]
        return self.acting.predict(observations, self.state_after_rollout())[self.value_head.name]

    def state_after_rollout(self) -> NDArray:
        """The recurrent state [N, S] after the rollout's last step, from what the buffer
        stored (a learner fed by rollout workers never acted itself): that step again from its
        state, zeroed where it was an autoreset step."""
        buffer, last = self.buffer, self.buffer.step - 1
        assert buffer.recurrent_states is not None
        after = self.acting.predict(buffer.observations[last],
                                    buffer.recurrent_states[last])[B.RECURRENT_STATE]
        return np.where(buffer.valid[last][:, None], after, np.float32(0.0))

    def behaviour(self, observations: NDArray, actions: NDArray) -> dict[str, NDArray]:
        """V(s) and log pi(a|s) under the acting policy, for a batch of steps [B, ...]."""
        return self.values_and_log_probs(self.acting, observations, actions)

    def values_and_log_probs(self, network: Network, observations: NDArray,
                             actions: NDArray) -> dict[str, NDArray]:
        """V(s) and log pi(a|s) by ``network`` (the acting copy, or the learner's own)."""
        return self.behaviour_of(network.predict(observations), actions)

    def behaviour_of(self, out: dict[str, NDArray], actions: NDArray) -> dict[str, NDArray]:
        """V(s) and log pi(a|s) from a network's outputs ``out`` at the steps ``actions`` took."""
        head = self.policy_head
        if head.distribution is Distribution.GAUSSIAN:
            log_probs = gaussian_log_prob(actions, *(out[n] for n in head.distribution_outputs()))
        else:
            log_probs = categorical_log_prob(out[head.name], actions.astype(np.int64))
        return {B.VALUES: out[self.value_head.name], B.LOG_PROBS: log_probs}
