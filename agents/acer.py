"""ACER (Wang et al. 2017): each rollout is one update, then kept with mu (the behaviour
policy's probabilities) in a segment replay that gives ``replay_ratio`` more; an update takes pi,
Q and V = sum pi Q from the current network, Q_ret by Retrace, and trains the Q head on Q_ret and
the policy head by ``ACERPolicyLoss`` (truncated importance weights, bias correction, trust
region around an average network)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from coachrl.agent import AgentContext, PolicyExport, RolloutAgent, RolloutAlgorithmParams
from coachrl.backend import Network, State
from coachrl.core import batch as B
from coachrl.core.distributions import log_softmax
from coachrl.core.metrics import MetricMeans
from coachrl.core.returns import retrace_segment
from coachrl.core.spaces import DiscreteActions
from coachrl.exploration import Categorical, ExplorationPolicy
from coachrl.memories import SegmentReplay
from coachrl.networks import ACERPolicyLoss, DiscretePolicyHead, QHead, QLoss, Regression
from coachrl.params import AgentParams
from coachrl.params.check import in_range, non_negative, positive


@dataclass(slots=True, kw_only=True)
class ACERAlgorithmParams(RolloutAlgorithmParams):
    """Defaults: Wang et al. 2017's discrete-action settings at CartPole's scale."""

    rollout_length: int = 20  # T: steps per env in a segment
    replay_ratio: int = 4  # off-policy updates per on-policy one
    replay_capacity: int = 500  # segments the replay holds
    replay_start: int = 10  # segments stored before off-policy updates start
    truncation: float = 10.0  # c of the truncated importance weights
    trust_region: float = 1.0  # delta; 0 turns the trust region off
    average_decay: float = 0.99  # alpha of the average policy network
    entropy_weight: float = 0.01
    q_loss: Regression = Regression.MSE

    def __post_init__(self) -> None:
        RolloutAlgorithmParams.__post_init__(self)
        non_negative("replay_ratio", self.replay_ratio)
        for name in ("replay_capacity", "replay_start"):
            positive(name, getattr(self, name))
        in_range("average_decay", self.average_decay, 0.0, 1.0)


@dataclass(slots=True, kw_only=True)
class ACERParams(AgentParams):
    """ACER with a shared torso for the policy and Q heads."""

    agent_path: ClassVar[str] = "coachrl.agents.acer:ACERAgent"
    algorithm: ACERAlgorithmParams = field(default_factory=ACERAlgorithmParams)
    exploration: ExplorationPolicy = field(default_factory=Categorical)
    max_grad_norm: float = 10.0


class ACERAgent(RolloutAgent):
    """The rollout driver's collection; its own on-policy and replayed updates."""

    params: ACERParams
    supported_actions = (DiscreteActions,)
    trainable = ("main",)

    def __init__(self, params: ACERParams, context: AgentContext) -> None:
        super().__init__(params, context)
        p, n = params.algorithm, self.spaces.action.n  # type: ignore[union-attr]
        self.policy_head = DiscretePolicyHead(n_actions=n, loss=ACERPolicyLoss(
            truncation=p.truncation, entropy_weight=p.entropy_weight,
            trust_region=p.trust_region))
        self.q_head = QHead(n_actions=n, loss=QLoss(kind=p.q_loss))
        spec = self.network_spec((self.policy_head, self.q_head))
        self.main = self.build_network("main", spec)
        self.average = self.build_network("average", spec, trainable=False)
        self.main.copy_to(self.average)
        self.acting = self.build_acting_copy(self.main)
        self.use_exploration(params.exploration)
        self.replay = SegmentReplay(p.replay_capacity)

    def act(self, observations: NDArray, *, step: int, explore: bool) -> B.ActionInfo:
        return B.ActionInfo(self.params.exploration.actions(
            self.acting.predict(observations)[self.policy_head.name], step=step, rng=self.rng,
            explore=explore, state=self.exploration_state), {})

    def _pi_q(self, network: Network, observations: NDArray) -> tuple[NDArray, NDArray]:
        out = network.predict(observations)
        return np.exp(log_softmax(out[self.policy_head.name])), out[self.q_head.name]

    def bootstrap_values(self, observations: NDArray) -> NDArray:  # V = sum_a pi Q
        return np.prod(self._pi_q(self.acting, observations), axis=0).sum(-1)

    def value_estimates(self, observations: NDArray) -> dict[str, NDArray]:  # Q(s, .)
        return {"q": self.acting.predict(observations)[self.q_head.name]}

    def policy_export(self) -> PolicyExport:
        return self.exported(self.acting, self.policy_head.name, values={"q": self.q_head.name})

    def train(self, step: int) -> dict[str, float]:
        p, buffer = self.params.algorithm, self.buffer
        segment = buffer.steps()
        flat = segment[B.OBSERVATIONS].reshape(-1, *buffer.observations.shape[2:])
        mu = self._pi_q(self.acting, flat)[0]
        segment[B.BEHAVIOUR_PROBS] = mu.reshape(*buffer.rewards.shape, -1)
        segment[B.NEXT_OBSERVATIONS] = np.array(self._last_observations)
        self.replay.add(segment)
        self.apply_learning_rate(step)
        metrics = MetricMeans(self.learn_from_batch(segment, step=step))
        for _ in range(p.replay_ratio if len(self.replay) >= p.replay_start else 0):
            metrics.add(self.learn_from_batch(self.replay.sample(self.rng), step=step))
        buffer.reset()
        self.sync_acting()
        return metrics.means()

    def learn_from_batch(self, batch: dict[str, NDArray], *, step: int) -> dict[str, float]:
        """One update on a segment [T, N]; the average network follows."""
        p, rewards = self.params.algorithm, batch[B.REWARDS]
        steps, envs = rewards.shape
        observations = np.concatenate([batch[B.OBSERVATIONS], batch[B.NEXT_OBSERVATIONS][None]])
        flat = observations.reshape(-1, *observations.shape[2:])
        pi, q = (x.reshape(steps + 1, envs, -1) for x in self._pi_q(self.main, flat))
        mu = batch[B.BEHAVIOUR_PROBS]
        targets = retrace_segment(probs=pi, q=q, actions=batch[B.ACTIONS], behaviour_probs=mu,
                                  rewards=rewards, terminated=batch[B.TERMINATED],
                                  dones=batch[B.DONES], discount=p.discount)
        valid = batch[B.VALID].reshape(-1)
        inputs = flat[:steps * envs][valid]
        metrics = self.main.train_on_batch({
            B.OBSERVATIONS: inputs, B.ACTIONS: batch[B.ACTIONS].reshape(-1)[valid],
            B.BEHAVIOUR_PROBS: mu.reshape(steps * envs, -1)[valid],
            B.Q_VALUES: q[:-1].reshape(steps * envs, -1)[valid],
            B.TARGETS: targets.reshape(-1)[valid],
            B.AVERAGE_LOGITS: self.average.predict(inputs)[self.policy_head.name]})
        self.train_steps += 1
        self.main.copy_to(self.average, tau=1.0 - p.average_decay)
        return metrics

    def state_dict(self) -> State:
        return super().state_dict() | {"replay": self.replay.state_dict()}

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        self.replay.load_state_dict(state["replay"])
