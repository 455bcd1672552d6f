"""The recurrent state a policy with memory (an LSTM middleware) carries per env while acting."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from coachrl.core.batch import StepResult


class RecurrentStates:
    """The state [N, S] before the next step of each env: one for the training envs (carried
    across rollouts and checkpoints, zeroed for an env that starts a new episode) and one for
    evaluation episodes, which start from zeros (``start_evaluation``) and never touch the
    training envs' state.

        state = states.current(explore=True, count=len(observations))
        out = network.predict(observations, state)
        states.update(out[RECURRENT_STATE], explore=True)
        ... env.step(...)
        states.forget(~result.valid)  # an env that just reset begins its episode from zeros
    """

    def __init__(self, size: int, n_envs: int) -> None:
        self.size = size
        self.training = np.zeros((n_envs, size), np.float32)
        self.evaluation = np.zeros((0, size), np.float32)

    def current(self, *, explore: bool, count: int) -> NDArray:
        """The state the next step of ``count`` envs acts from (zeros for a batch of another
        size: a new set of envs)."""
        state = self.training if explore else self.evaluation
        if len(state) != count:
            state = np.zeros((count, self.size), np.float32)
            self.update(state, explore=explore)
        return state

    def update(self, state: NDArray, *, explore: bool) -> None:
        """The state after a step, which the next step acts from."""
        if explore:
            self.training = state
        else:
            self.evaluation = state

    def forget(self, result: StepResult) -> None:
        """After a step of the training envs: the envs whose autoreset step this was (its
        action acted on the episode's final observation with the episode's state, so V of that
        observation, which truncation bootstraps from, saw the whole episode) begin the next
        episode from zeros."""
        if not result.valid.all():
            self.training = np.where(result.valid[:, None], self.training, np.float32(0.0))

    def start_evaluation(self, n_envs: int) -> None:
        self.evaluation = np.zeros((n_envs, self.size), np.float32)
