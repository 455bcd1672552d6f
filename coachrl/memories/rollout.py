"""On-policy rollout buffer of [T, N] steps with GAE(lambda) advantages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.core import batch as B
from coachrl.core.returns import compute_gae


class RolloutBuffer:
    """Holds T steps of N envs. Reset steps of NEXT_STEP autoreset are kept as invalid rows.

    Keeping them in place keeps every env's time axis contiguous: the value computed on a reset
    step's observation is V(true final observation), exactly what the step before it bootstraps
    from on truncation. Invalid rows are left out of the minibatches.

    Values and log-probs of the behaviour policy may come with each step (from rollout workers
    that computed them) or be filled in for the whole rollout at once with ``set_behaviour``
    before ``finish``: one batched forward pass instead of one per env step.

    A recurrent policy's steps come with the state it acted from (``recurrent_state``); the
    rollout is then trained as sequences (``sequence_minibatches``) rather than shuffled steps.
    """

    def __init__(self, *, horizon: int, n_envs: int, observation_shape: tuple[int, ...],
                 observation_dtype: Any, action_shape: tuple[int, ...], action_dtype: Any) -> None:
        self.horizon, self.n_envs = horizon, n_envs
        shape = (horizon, n_envs)
        self.observations = np.zeros((*shape, *observation_shape), dtype=observation_dtype)
        self.actions = np.zeros((*shape, *action_shape), dtype=action_dtype)
        self.rewards = np.zeros(shape, dtype=np.float32)
        self.terminated = np.zeros(shape, dtype=bool)
        self.dones = np.zeros(shape, dtype=bool)
        self.valid = np.zeros(shape, dtype=bool)
        self.values = np.zeros(shape, dtype=np.float32)
        self.log_probs = np.zeros(shape, dtype=np.float32)
        self.advantages = np.zeros(shape, dtype=np.float32)
        self.returns = np.zeros(shape, dtype=np.float32)
        self.step = 0
        self.has_behaviour = True  # every step so far came with its values and log-probs
        self.recurrent_states: NDArray | None = None  # [T, N, S], from the first step with one

    @property
    def full(self) -> bool:
        return self.step == self.horizon

    def add(self, *, observations: NDArray, actions: NDArray, rewards: NDArray,
            terminated: NDArray, dones: NDArray, valid: NDArray,
            values: NDArray | None = None, log_probs: NDArray | None = None,
            recurrent_state: NDArray | None = None) -> None:
        """Record step t of every env: what the agent saw and did (and the recurrent state
        [N, S] it acted from), and the env's answer."""
        t = self.step
        if recurrent_state is not None:
            if self.recurrent_states is None:
                self.recurrent_states = np.zeros((self.horizon, *recurrent_state.shape),
                                                 np.float32)
            self.recurrent_states[t] = recurrent_state
        self.observations[t] = observations
        self.actions[t] = actions
        if values is None or log_probs is None:
            self.has_behaviour = False
        else:
            self.values[t] = values
            self.log_probs[t] = log_probs
        self.rewards[t] = rewards
        self.terminated[t] = terminated
        self.dones[t] = dones
        self.valid[t] = valid
        self.step += 1

    def set_behaviour(self, *, values: NDArray, log_probs: NDArray) -> None:
        """Values and log-probs [T * N] of every stored step, computed in one batch."""
        self.values[:] = values.reshape(self.values.shape)
        self.log_probs[:] = log_probs.reshape(self.log_probs.shape)
        self.has_behaviour = True

    def finish(self, *, last_values: NDArray, discount: float, gae_lambda: float) -> None:
        """Compute advantages and returns; ``last_values`` is V of the observation after step T."""
        self.advantages, self.returns = compute_gae(
            rewards=self.rewards, values=self.values, last_values=last_values,
            terminated=self.terminated, dones=self.dones, discount=discount,
            gae_lambda=gae_lambda,
        )

    @property
    def valid_steps(self) -> int:
        """The transitions stored so far (autoreset steps left out)."""
        return int(np.count_nonzero(self.valid[: self.step]))

    def minibatches(self, batch_size: int,
                    rng: np.random.Generator) -> Iterator[dict[str, NDArray]]:
        """One epoch over the valid steps in random minibatches (the last one may be short)."""
        order = rng.permutation(np.flatnonzero(self.valid.reshape(-1)))
        columns = self._columns()
        for start in range(0, len(order), batch_size):
            indices = order[start:start + batch_size]
            yield {key: column[indices] for key, column in columns.items()}

    def whole(self) -> dict[str, NDArray]:
        """Every valid step as one batch, in time order (env by env within a step)."""
        indices = np.flatnonzero(self.valid.reshape(-1))
        return {key: column[indices] for key, column in self._columns().items()}

    def _columns(self) -> dict[str, NDArray]:
        """What training reads of each step, [T * N, ...]."""
        return {
            B.OBSERVATIONS: self.observations.reshape(-1, *self.observations.shape[2:]),
            B.ACTIONS: self.actions.reshape(-1, *self.actions.shape[2:]),
            B.LOG_PROBS: self.log_probs.reshape(-1),
            B.ADVANTAGES: self.advantages.reshape(-1),
            B.RETURNS: self.returns.reshape(-1),
            B.OLD_VALUES: self.values.reshape(-1),
        }

    def sequences(self, *, length: int, burn_in: int = 0) -> dict[str, NDArray]:
        """The rollout cut into sequences: each env's steps in chunks of ``length`` trained
        steps, each chunk after up to ``burn_in`` steps that only warm the recurrent state
        (R2D2, Kapturowski et al. 2019; fewer at the rollout's start).

        Returns [S, W, ...] columns (S = N * chunks sequences, env by env, each chunk in time
        order; W = the longest window, shorter ones padded at the end), with ``LOSS_MASK``
        (trained: a valid step after the burn-in, not padding), ``EPISODE_STARTS`` (the state
        is zeroed before the step: the step before it was an autoreset step) and
        ``RECURRENT_STATE`` [S, state] (the stored state at each window's first step).
        """
        assert self.recurrent_states is not None, "the steps came without recurrent states"
        loss_starts = np.arange(0, self.horizon, length)  # [C]
        window_starts = np.maximum(loss_starts - burn_in, 0)
        ends = np.minimum(loss_starts + length, self.horizon)
        width = int((ends - window_starts).max())
        times = window_starts[:, None] + np.arange(width)  # [C, W]
        padding = times >= ends[:, None]
        times = np.minimum(times, self.horizon - 1)
        after_reset = np.concatenate([np.zeros((1, self.n_envs), bool), ~self.valid[:-1]])
        per_step = {
            B.OBSERVATIONS: self.observations, B.ACTIONS: self.actions,
            B.LOG_PROBS: self.log_probs, B.ADVANTAGES: self.advantages, B.RETURNS: self.returns,
            B.OLD_VALUES: self.values,
            B.LOSS_MASK: self.valid,
            B.EPISODE_STARTS: after_reset,
        }
        out = {key: _by_sequence(column[times]) for key, column in per_step.items()}
        trained = (times >= loss_starts[:, None]) & ~padding  # [C, W]
        out[B.LOSS_MASK] &= np.tile(trained, (self.n_envs, 1))
        out[B.EPISODE_STARTS][:, 0] = False  # the stored state already starts the window
        initial = self.recurrent_states[window_starts]  # [C, N, S]
        out[B.RECURRENT_STATE] = np.moveaxis(initial, 1, 0).reshape(-1, initial.shape[-1])
        return out

    def sequence_minibatches(self, batch_size: int, rng: np.random.Generator, *, length: int,
                             burn_in: int = 0) -> Iterator[dict[str, NDArray]]:
        """One epoch over the rollout's ``sequences`` in random minibatches of whole sequences,
        about ``batch_size`` trained steps each (``batch_size // length`` sequences, at least
        one). Steps columns are [sequences * W, ...], each sequence in time order."""
        columns = self.sequences(length=length, burn_in=burn_in)
        kept = np.flatnonzero(columns[B.LOSS_MASK].any(axis=1))  # a sequence with no loss
        order = rng.permutation(kept)
        per_batch = max(batch_size // length, 1)
        for start in range(0, len(order), per_batch):
            chosen = order[start:start + per_batch]
            yield {key: column[chosen] if key == B.RECURRENT_STATE
                   else column[chosen].reshape(-1, *column.shape[2:])
                   for key, column in columns.items()}

    def reset(self) -> None:
        self.step = 0
        self.has_behaviour = True

    STORED = ("observations", "actions", "rewards", "terminated", "dones", "valid", "values",
              "log_probs")
    STEPS = ("observations", "actions", "rewards", "terminated", "dones", "valid")

    def steps(self) -> dict[str, NDArray]:
        """Copies of what the env gave over the rollout [T, N, ...] (a replay of segments keeps
        them: ACER)."""
        return {key: getattr(self, key)[: self.step].copy() for key in self.STEPS}

    def state_dict(self) -> dict[str, Any]:
        """The steps collected so far (a checkpoint taken mid-rollout resumes the rollout)."""
        used = slice(0, self.step)
        state = {"step": self.step, "has_behaviour": self.has_behaviour,
                 **{k: getattr(self, k)[used].copy() for k in self.STORED}}
        if self.recurrent_states is not None:
            state["recurrent_states"] = self.recurrent_states[used].copy()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.step = int(state["step"])
        self.has_behaviour = bool(state.get("has_behaviour", True))
        for key in self.STORED:
            getattr(self, key)[: self.step] = state[key]
        if "recurrent_states" in state:
            stored = np.asarray(state["recurrent_states"], np.float32)
            self.recurrent_states = np.zeros((self.horizon, self.n_envs, stored.shape[-1]),
                                             np.float32)
            self.recurrent_states[: self.step] = stored


def _by_sequence(column: NDArray) -> NDArray:
    """[C, W, N, ...] gathered windows -> [N * C, W, ...]: env by env, chunks in time order."""
    swapped = np.moveaxis(column, 2, 0)  # [N, C, W, ...]
    return swapped.reshape(-1, *swapped.shape[2:])
