"""On-policy agents' base: the rollout driver (collect, finish with GAE, epochs of minibatches)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from coachrl.agent.base import Agent, AgentContext
from coachrl.backend import State
from coachrl.core import batch as B
from coachrl.core.batch import ActionInfo, StepResult
from coachrl.core.metrics import MetricMeans
from coachrl.core.spaces import action_layout
from coachrl.memories import RolloutBuffer
from coachrl.params.base import AgentParams, AlgorithmParams
from coachrl.params.check import in_range, non_negative, positive

WHOLE_ROLLOUT = 1 << 30  # a minibatch size that takes every step of the rollout at once


@dataclass(slots=True, kw_only=True)
class RolloutAlgorithmParams(AlgorithmParams):
    """How the rollout driver trains: rollout length, GAE, epochs and minibatches."""

    rollout_length: int = 2048  # env steps per env between updates
    gae_lambda: float = 0.95  # GAE lambda; 1 = Monte Carlo, 0 = one-step TD
    epochs: int = 10  # passes over each rollout
    batch_size: int = 64  # minibatch size, in trained env steps
    sequence_length: int = 0  # recurrent policies: trained steps per sequence; 0: whole rollout
    burn_in: int = 0  # recurrent policies: steps before each sequence that only warm its state

    def __post_init__(self) -> None:
        AlgorithmParams.__post_init__(self)
        in_range("gae_lambda", self.gae_lambda, 0.0, 1.0)
        for name in ("rollout_length", "epochs", "batch_size"):
            positive(name, getattr(self, name))
        non_negative("sequence_length", self.sequence_length)
        non_negative("burn_in", self.burn_in)


class RolloutAgent(Agent):
    """Base of on-policy agents: a rollout buffer ``rollout_length`` steps of every env long,
    finished with the behaviour policy's values and log-probs and GAE, then ``epochs`` passes
    of shuffled minibatches through the algorithm's ``learn_from_batch``. A recurrent policy's
    steps carry the state it acted from, and its minibatches are whole sequences
    (``sequence_length`` trained steps after ``burn_in`` warming ones) in time order.

    A subclass supplies ``behaviour`` (V(s) and log pi(a|s) of the acting policy for a batch of
    steps), ``bootstrap_values`` (V of the observations after the rollout) and
    ``learn_from_batch``; it acts as any agent does.
    """

    def __init__(self, params: AgentParams, context: AgentContext) -> None:
        super().__init__(params, context)
        shape, dtype = action_layout(self.spaces)
        self.buffer = RolloutBuffer(
            horizon=self.rollout.rollout_length, n_envs=context.n_envs,
            observation_shape=self.spaces.observation.shape,
            observation_dtype=self.spaces.observation.dtype, action_shape=shape,
            action_dtype=dtype)
        self._last_observations: NDArray | None = None

    @property
    def rollout(self) -> RolloutAlgorithmParams:
        """The algorithm's rollout-driver settings."""
        return cast(RolloutAlgorithmParams, self.params.algorithm)

    @abstractmethod
    def bootstrap_values(self, observations: NDArray) -> NDArray:
        """V(s) [N] of the observations that follow the rollout (GAE bootstraps from them)."""

    @abstractmethod
    def learn_from_batch(self, batch: dict[str, NDArray], *, step: int) -> dict[str, float]: ...

    # -- the runtime's calls and the capability protocol (LearnsFromRollouts) ----------------
    def rollout_length(self) -> int:
        return self.rollout.rollout_length

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
                        dones=result.dones, valid=result.valid,
                        recurrent_state=info.extras.get(B.RECURRENT_STATE))
        self._last_observations = result.observations

    def ready_to_train(self, step: int) -> bool:
        return self.buffer.full

    def between_updates(self) -> bool:
        return self.buffer.step == 0

    def finish_rollout(self) -> None:
        """Behaviour values and log-probs where the steps came without them, then GAE."""
        p, buffer = self.rollout, self.buffer
        assert self._last_observations is not None
        if not buffer.has_behaviour:
            flat = buffer.observations.reshape(-1, *buffer.observations.shape[2:])
            actions = buffer.actions.reshape(-1, *buffer.actions.shape[2:])
            buffer.set_behaviour(**self.behaviour(flat, actions))
        buffer.finish(last_values=self.bootstrap_values(self._last_observations),
                      discount=p.discount, gae_lambda=p.gae_lambda)

    def train(self, step: int) -> dict[str, float]:
        p = self.rollout
        self.finish_rollout()
        self.apply_learning_rate(step)
        metrics = MetricMeans()
        repeated = self.repeated_batch()
        for _ in range(p.epochs):
            for batch in (repeated,) if repeated is not None else self.minibatches(p.batch_size):
                metrics.add(self.learn_from_batch(batch, step=step))
                self.train_steps += 1
        self.buffer.reset()
        self.sync_acting()
        return metrics.means()

    def repeated_batch(self) -> Any:
        """The batch every epoch trains on, or None: shuffled minibatches each epoch (here).

        An agent whose ``learn_from_batch`` hands its batch unchanged to one network's
        ``train_on_batch`` can give, where one minibatch covers the rollout and there are
        several epochs, that network's ``device_batch`` of the whole rollout: a full batch's
        gradient does not depend on the order of its rows, so shuffling it only costs, and the
        batch is built and moved to the device once instead of once per epoch
        (``PolicyOptimizationAgent``)."""
        return None

    def covered_by_one_minibatch(self) -> bool:
        """Several epochs, each of one minibatch of every step: the same batch every epoch."""
        p = self.rollout
        return (p.epochs > 1 and self.buffer.recurrent_states is None
                and p.batch_size >= self.buffer.valid_steps)

    def whole_rollout(self) -> dict[str, NDArray]:
        """The finished rollout as one batch (its valid steps, shuffled); the buffer is emptied
        (an asynchronous worker's rollout becomes one gradient, A3C and N-step Q)."""
        self.finish_rollout()
        batch = next(self.minibatches(WHOLE_ROLLOUT))
        self.buffer.reset()
        return batch

    def minibatches(self, batch_size: int) -> Iterator[dict[str, NDArray]]:
        """One epoch of the finished rollout: shuffled steps, or whole sequences in time order
        where the steps carry a recurrent state."""
        if self.buffer.recurrent_states is None:
            return self.buffer.minibatches(batch_size, self.rng)
        p = self.rollout
        return self.buffer.sequence_minibatches(
            batch_size, self.rng, length=p.sequence_length or self.buffer.horizon,
            burn_in=p.burn_in)

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
