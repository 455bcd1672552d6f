"""Return and advantage maths as pure numpy functions over [T, N] arrays (time, envs)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def compute_gae(
    *,
    rewards: NDArray,
    values: NDArray,
    last_values: NDArray,
    terminated: NDArray,
    dones: NDArray,
    discount: float,
    gae_lambda: float,
) -> tuple[NDArray, NDArray]:
    """Generalised advantage estimation (Schulman et al. 2016) with explicit episode ends.

    ``values[t]`` is V(s_t) and the bootstrap value of step t is ``values[t + 1]`` (or
    ``last_values`` for the last step). With NEXT_STEP autoreset, the step after an episode end
    is a reset step whose value was computed on the true final observation, so truncated steps
    bootstrap from it while terminated steps do not, and the chain is cut at every episode end.

    Args:
        rewards: [T, N] rewards.
        values: [T, N] value estimates at each step's observation.
        last_values: [N] value of the observation after the last step.
        terminated: [T, N] the MDP ended on this step (no bootstrap).
        dones: [T, N] the episode ended on this step (terminated or truncated).
        discount: gamma.
        gae_lambda: lambda.

    Returns:
        (advantages, returns), each [T, N] float32; returns = advantages + values.
    """
    horizon = rewards.shape[0]
    next_values = np.concatenate([values[1:], last_values[None]], axis=0)
    not_terminated = 1.0 - terminated.astype(np.float32)
    not_done = 1.0 - dones.astype(np.float32)
    deltas = rewards + discount * not_terminated * next_values - values
    advantages = np.zeros_like(deltas, dtype=np.float32)
    running = np.zeros(rewards.shape[1], dtype=np.float32)
    decay = discount * gae_lambda
    for t in range(horizon - 1, -1, -1):
        running = deltas[t] + decay * not_done[t] * running
        advantages[t] = running
    return advantages, (advantages + values).astype(np.float32)


def n_step_targets(
    *, rewards: NDArray, next_values: NDArray, terminated: NDArray, discount: float
) -> NDArray:
    """One-step (n=1) TD targets r + gamma * (1 - terminated) * V(s'), vectorised over a batch."""
    return (rewards + discount * (1.0 - terminated.astype(np.float32)) * next_values).astype(
        np.float32
    )
