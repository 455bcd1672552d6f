"""Off-policy evaluation of a trained run on a dataset (``coachrl ope RUN_DIR --dataset F``).

The policy evaluated (the target) is the run's deterministic policy: the action probabilities its
exploration gives without exploring. The estimators are ``coachrl.core.ope``'s. The model that
the direct method and the doubly robust estimators need is Q^pi fitted from the dataset by
fitted Q evaluation (FQE, Le et al. 2019): a Q network regressed onto
r + gamma sum_a' pi(a'|s') Q_target(s', a'), warm-started on the dataset's discounted
returns-to-go so that a long horizon (gamma 0.99) needs few target updates. The run's own Q,
where it has one, is not used: it estimates the value of acting greedily on itself, with the
optimism of the max, not the value of the policy on this data.

The intervals resample the model too: each of ``models`` FQE fits sees its own bootstrap
resample of the episodes, and each estimator's interval is the percentile interval of the
episode (or decision) resamples of all fits together, so that it also says how much the fitted
model could vary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from coachrl.agent import QLearningAlgorithmParams, ValueOptimizationAgent, ValueOptimizationParams
from coachrl.agent.base import AgentContext
from coachrl.core import batch as B
from coachrl.core.ope import (
    Decisions,
)
from coachrl.core.ope import Episode as OPEEpisode
from coachrl.core.returns import retrace
from coachrl.exploration import ExplorationPolicy, Greedy
from coachrl.memories.episodic import Episode
from coachrl.networks import QHead
from coachrl.params.base import Activation, MemoryParams, NetworkParams


# -- fitted Q evaluation -----------------------------------------------------------------------
@dataclass(slots=True, kw_only=True)
class FQEAlgorithmParams(QLearningAlgorithmParams):
    """FQE's regression: batches of 256, new targets every 250 gradient steps."""

    batch_size: int = 256
    learning_starts: int = 0
    target_update_period: int = 250  # gradient steps between recomputed targets
    warm_start_steps: int = 1_000  # gradient steps onto the returns-to-go before FQE's
    trace_clip: float = 1.0  # Retrace's c = min(trace_clip, pi/mu); 0: one-step FQE


@dataclass(slots=True, kw_only=True)
class FQEParams(ValueOptimizationParams):
    """Q^pi of a given policy, from a dataset; 64-64 ReLU, Adam 1e-3."""

    agent_path: ClassVar[str] = "coachrl.runtime.ope:FQEAgent"
    algorithm: FQEAlgorithmParams = field(default_factory=FQEAlgorithmParams)
    network: NetworkParams = field(default_factory=lambda: NetworkParams(
        hidden_sizes=(64, 64), activation=Activation.RELU, ortho_init=False))
    learning_rate: float = 1e-3
    exploration: ExplorationPolicy = field(default_factory=Greedy)


class FQEAgent(ValueOptimizationAgent):
    """Regresses Q(s_t, a_t) onto Retrace targets (Munos et al. 2016) of the evaluated policy
    pi along the logged episodes, recomputed from the target network every
    ``target_update_period`` gradient steps: y_t = r_t + gamma (V(s_t+1) + c_t+1 (y_t+1 -
    Q(s_t+1, a_t+1))), V = sum_a pi Q, c = min(1, pi/mu). A deterministic pi follows the data
    as far as the data took its action, so a long horizon needs far fewer target updates than
    one-step FQE (``trace_clip=0``), which bootstraps after every step."""

    params: FQEParams

    def heads(self) -> tuple[QHead]:
        return (QHead(n_actions=self.spaces.action.n),)  # type: ignore[union-attr]

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        return self.fit(batch, batch[B.TARGETS])

    def regress(self, observations: NDArray, actions: NDArray, targets: NDArray,
                steps: int) -> None:
        """``steps`` gradient steps of Q(s, a) onto fixed ``targets`` over the given data."""
        size = self.params.algorithm.batch_size
        for _ in range(steps):
            i = self.rng.integers(0, len(targets), size)
            self.learn_from_batch({B.OBSERVATIONS: observations[i], B.ACTIONS: actions[i],
                                   B.TARGETS: targets[i]})
            self.train_steps += 1

    def evaluate_policy(self, episodes: Sequence[Episode], probabilities: Sequence[NDArray],
                        steps: int) -> None:
        """FQE on ``episodes``: warm start on their discounted returns-to-go, then ``steps``
        gradient steps onto Retrace targets; ``probabilities`` [T + 1, A] of each episode's
        states and its last next state under pi."""
        p = self.params.algorithm
        data = {key: np.concatenate([e.data[key] for e in episodes])
                for key in (B.OBSERVATIONS, B.ACTIONS)}
        returns = np.concatenate([returns_to_go(e.data[B.REWARDS], p.discount) for e in episodes])
        self.regress(data[B.OBSERVATIONS], data[B.ACTIONS], returns.astype(np.float32),
                     p.warm_start_steps)
        for _ in range(-(-steps // p.target_update_period)):
            self.online.copy_to(self.target)
            targets = np.concatenate([self._retrace(e, pi)
                                      for e, pi in zip(episodes, probabilities, strict=True)])
            self.regress(data[B.OBSERVATIONS], data[B.ACTIONS], targets, p.target_update_period)
        self.sync_acting()

    def _retrace(self, episode: Episode, pi: NDArray) -> NDArray:
        d = episode.data
        states = np.concatenate([d[B.OBSERVATIONS], d[B.NEXT_OBSERVATIONS][-1:]])
        q = self.target.predict(states)[self.q_name]  # [T + 1, A]
        values = (pi * q).sum(-1)
        actions = d[B.ACTIONS].astype(np.int64)
        steps = np.arange(len(actions))
        behaviour = d[B.BEHAVIOUR_PROBS][steps, actions]
        ends = np.zeros(len(actions), bool)
        ends[-1] = True
        return retrace(rewards=d[B.REWARDS][:, None], q_taken=q[steps, actions][:, None],
                       values=values[:-1, None], ratios=(pi[steps, actions] / behaviour)[:, None],
                       last_values=values[-1:], terminated=d[B.TERMINATED][:, None],
                       dones=ends[:, None], discount=self.params.algorithm.discount,
                       clip=self.params.algorithm.trace_clip)[:, 0]


def returns_to_go(rewards: NDArray, discount: float) -> NDArray:
    """sum_{k >= t} gamma^(k - t) r_k for each t of one episode [T]."""
    out = np.zeros(len(rewards))
    following = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        following = float(rewards[t]) + discount * following
        out[t] = following
    return out


def fit_q(episodes: Sequence[Episode], evaluated: Callable[[NDArray], NDArray], *,
          spaces: Any, discount: float, steps: int, seed: int, threads: int = 1,
          params: FQEParams | None = None) -> Callable[[NDArray], NDArray]:
    """Q^pi [N, actions] of (filtered) observations, fitted by FQE on ``episodes`` (whose
    observations are already filtered; ``evaluated`` gives pi(.|s) [N, actions]) for ``steps``
    gradient steps after the warm start. With ``discount=0`` and ``steps=0``: a reward model
    r(s, a), which the bandit estimators (DM, DR) take."""
    from coachrl.backend import make_backend

    params = params or FQEParams()
    size = params.algorithm.batch_size
    params = replace(params, algorithm=replace(params.algorithm, discount=discount),
                     memory=MemoryParams(capacity=size))  # FQE samples its own arrays
    learner = make_backend("torch", threads=threads)
    learner.seed(seed)
    context = AgentContext(spaces=spaces, n_envs=1, learner=learner, actor=learner,
                           rng=np.random.default_rng(seed), total_steps=steps)
    agent = FQEAgent(params, context)
    probabilities = [evaluated(np.concatenate([e.data[B.OBSERVATIONS],
                                               e.data[B.NEXT_OBSERVATIONS][-1:]]))
                     for e in episodes] if steps else [np.zeros(0)] * len(episodes)
    agent.evaluate_policy(episodes, probabilities, steps)
    return agent.q_values


# -- the estimators' input ---------------------------------------------------------------
def logged_episodes(episodes: Sequence[Episode], target: NDArray,
                    q: NDArray | None) -> list[OPEEpisode]:
    """The dataset's episodes as the estimators read them: ``target`` pi(.|s) [N, actions] and
    the model ``q`` [N, actions] over all of their steps, in order."""
    bounds = np.cumsum([0] + [len(e) for e in episodes])
    made = []
    for episode, start, stop in zip(episodes, bounds[:-1], bounds[1:], strict=True):
        d = episode.data
        actions = d[B.ACTIONS].astype(np.int64)
        made.append(OPEEpisode(Decisions(
            actions=actions, rewards=d[B.REWARDS].astype(np.float64),
            behaviour=d[B.BEHAVIOUR_PROBS][np.arange(len(actions)), actions],
            target=target[start:stop], q=None if q is None else q[start:stop])))
    return made
