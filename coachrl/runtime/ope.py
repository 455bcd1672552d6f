"""The models off-policy estimators need, fitted from a dataset (``coachrl ope``, batch runs).

Q^pi of a target policy pi by fitted Q evaluation (FQE, Le et al. 2019) with Retrace targets
along the logged episodes (``FQEAgent``), warm-started on the dataset's discounted returns-to-go
so that a long horizon (gamma 0.99) needs few target recomputations; a reward model r(s, a) is
the same fit at discount 0. ``logged_episodes`` puts a dataset's episodes, pi and a model into
the form ``coachrl.core.ope``'s estimators read.
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
from coachrl.core.returns import retrace, returns_to_go
from coachrl.exploration import ExplorationPolicy, Greedy
from coachrl.memories.episodic import Episode
from coachrl.networks import QHead
from coachrl.params.base import Activation, MemoryParams, NetworkParams


# -- fitted Q evaluation -----------------------------------------------------------------------
@dataclass(slots=True, kw_only=True)
class FQEAlgorithmParams(QLearningAlgorithmParams):
    """FQE's regression: batches of 256, new targets every 50 gradient steps."""

    batch_size: int = 256
    learning_starts: int = 0
    target_update_period: int = 50  # gradient steps between recomputed targets
    warm_start_steps: int = 1_000  # gradient steps onto the returns-to-go before FQE's
    trace_clip: float = 1.0  # Retrace's c = min(trace_clip, pi/mu); 0: one-step FQE


@dataclass(slots=True, kw_only=True)
class FQEParams(ValueOptimizationParams):
    """Q^pi of a given policy, from a dataset; 64-64 ReLU, Adam 3e-4."""

    agent_path: ClassVar[str] = "coachrl.runtime.ope:FQEAgent"
    algorithm: FQEAlgorithmParams = field(default_factory=FQEAlgorithmParams)
    network: NetworkParams = field(default_factory=lambda: NetworkParams(
        hidden_sizes=(64, 64), activation=Activation.RELU, ortho_init=False))
    learning_rate: float = 3e-4  # 1e-3 drifted down and diverged past 10k steps (CartPole)
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

    def evaluate_policy(self, episodes: Sequence[Episode], probabilities: NDArray,
                        steps: int) -> None:
        """FQE on ``episodes``: warm start on their discounted returns-to-go, then ``steps``
        gradient steps onto Retrace targets; ``probabilities`` pi(.|s) [N + E, A] of every
        state of the episodes in order, then of each episode's last next state."""
        p = self.params.algorithm
        layout = _Padded(episodes)
        data = {key: np.concatenate([e.data[key] for e in episodes])
                for key in (B.OBSERVATIONS, B.ACTIONS)}
        returns = np.concatenate([returns_to_go(e.data[B.REWARDS], p.discount) for e in episodes])
        self.regress(data[B.OBSERVATIONS], data[B.ACTIONS], returns.astype(np.float32),
                     p.warm_start_steps)
        states = np.concatenate([data[B.OBSERVATIONS], layout.last_next_observations])
        for _ in range(-(-steps // p.target_update_period)):
            self.online.copy_to(self.target)
            q = self.target.predict(states)[self.q_name]  # [N + E, A]
            targets = layout.retrace(q, probabilities, discount=p.discount, clip=p.trace_clip)
            self.regress(data[B.OBSERVATIONS], data[B.ACTIONS], targets, p.target_update_period)
        self.sync_acting()


class _Padded:
    """Episodes of different lengths side by side, [T_max, E], for ``retrace`` in one call:
    each episode's steps, then its last next state's value where ``retrace`` bootstraps an
    ended step from (the step after it), then nothing."""

    def __init__(self, episodes: Sequence[Episode]) -> None:
        self.lengths = np.array([len(e) for e in episodes])
        count, longest = len(episodes), int(self.lengths.max())
        self.column = np.repeat(np.arange(count), self.lengths)  # each step's episode
        self.row = np.concatenate([np.arange(n) for n in self.lengths])  # its step in it
        self.last_next_observations = np.stack([e.data[B.NEXT_OBSERVATIONS][-1]
                                                for e in episodes])
        self.shape = (longest + 1, count)
        self.rewards = self._pad(np.concatenate([e.data[B.REWARDS] for e in episodes]))
        self.terminated = self._pad(np.concatenate([e.data[B.TERMINATED] for e in episodes]))
        self.dones = np.arange(longest + 1)[:, None] >= self.lengths[None, :] - 1
        actions = np.concatenate([e.data[B.ACTIONS] for e in episodes]).astype(np.int64)
        self.actions = actions
        self.behaviour = np.concatenate([e.data[B.BEHAVIOUR_PROBS] for e in episodes]
                                        )[np.arange(len(actions)), actions]

    def _pad(self, flat: NDArray) -> NDArray:
        out = np.zeros(self.shape)
        out[self.row, self.column] = flat
        return out

    def retrace(self, q: NDArray, pi: NDArray, *, discount: float, clip: float) -> NDArray:
        """Retrace targets [N] of every step from Q and pi [N + E, A] (steps, then each
        episode's last next state)."""
        n, count = len(self.actions), self.shape[1]
        values = (pi * q).sum(-1)
        steps = np.arange(n)
        padded_values = self._pad(values[:n])
        padded_values[self.lengths, np.arange(count)] = values[n:]  # V(s') after the last step
        longest = self.shape[0] - 1
        targets = retrace(
            rewards=self.rewards[:longest], q_taken=self._pad(q[steps, self.actions])[:longest],
            values=padded_values[:longest],
            ratios=self._pad(pi[steps, self.actions] / self.behaviour)[:longest],
            last_values=padded_values[longest], terminated=self.terminated[:longest],
            dones=self.dones[:longest], discount=discount, clip=clip)
        return targets[self.row, self.column]


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
    outside = learner.rng_state()  # the fit's seed must not move a training run's torch RNG
    learner.seed(seed)
    try:
        context = AgentContext(spaces=spaces, n_envs=1, learner=learner, actor=learner,
                               rng=np.random.default_rng(seed), total_steps=steps)
        agent = FQEAgent(params, context)
        states = np.concatenate([*(e.data[B.OBSERVATIONS] for e in episodes),
                                 np.stack([e.data[B.NEXT_OBSERVATIONS][-1] for e in episodes])])
        probabilities = evaluated(states) if steps else np.zeros(0)
        agent.evaluate_policy(episodes, probabilities, steps)
    finally:
        learner.set_rng_state(outside)
    return agent.q_values


def fit_rewards(episodes: Sequence[Episode], *, spaces: Any, seed: int,
                threads: int = 1) -> Callable[[NDArray], NDArray]:
    """A reward model r(s, a) [N, actions] of (filtered) observations: FQE at discount 0 is a
    regression onto the rewards (its warm start alone)."""
    return fit_q(episodes, _no_policy, spaces=spaces, discount=0.0, steps=0, seed=seed,
                 threads=threads)


def _no_policy(observations: NDArray) -> NDArray:
    raise AssertionError("a reward model bootstraps from no policy")


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
