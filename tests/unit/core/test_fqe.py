"""Fitted Q evaluation on a small MDP whose Q^pi is known: three steps (the state is the step,
one-hot), action 1 pays 1 and action 0 pays 0, the episode ends after the third; the policy
evaluated takes action 1 with probability 0.8, the data comes from one that takes it with 0.4."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from coachrl.core import batch as B
from coachrl.core.returns import returns_to_go
from coachrl.core.spaces import spaces_from_gym
from coachrl.memories.episodic import Episode
from coachrl.runtime.ope import FQEAlgorithmParams, FQEParams, fit_q, fit_rewards

pytestmark = pytest.mark.unit
GAMMA, STEPS, P_TARGET, P_BEHAVIOUR = 0.9, 3, 0.8, 0.4


def _episode(rng: np.random.Generator) -> Episode:
    states = np.eye(STEPS + 1, dtype=np.float32)
    actions = (rng.random(STEPS) < P_BEHAVIOUR).astype(np.int64)
    return Episode({B.OBSERVATIONS: states[:STEPS], B.NEXT_OBSERVATIONS: states[1:],
                    B.ACTIONS: actions, B.REWARDS: actions.astype(np.float32),
                    B.TERMINATED: np.array([0, 0, 1], np.float32),
                    B.BEHAVIOUR_PROBS: np.tile([1 - P_BEHAVIOUR, P_BEHAVIOUR], (STEPS, 1))})


def _q_exact() -> np.ndarray:
    value_after = [P_TARGET * sum(GAMMA ** k for k in range(STEPS - t - 1))
                   for t in range(STEPS)]
    return np.array([[GAMMA * v, 1.0 + GAMMA * v] for v in value_after])


def test_fqe_recovers_q_of_the_evaluated_policy_not_of_the_data() -> None:
    rng = np.random.default_rng(0)
    episodes = [_episode(rng) for _ in range(200)]
    spaces = spaces_from_gym(gym.spaces.Box(0.0, 1.0, (STEPS + 1,), np.float32),
                             gym.spaces.Discrete(2))

    def target(observations: np.ndarray) -> np.ndarray:
        return np.tile([1 - P_TARGET, P_TARGET], (len(observations), 1))

    states = np.eye(STEPS + 1, dtype=np.float32)[:STEPS]
    for clip in (0.0, 1.0):  # one-step FQE, and with Retrace's traces
        params = FQEParams(algorithm=FQEAlgorithmParams(warm_start_steps=200, trace_clip=clip,
                                                        target_update_period=100))
        q = fit_q(episodes, target, spaces=spaces, discount=GAMMA, steps=1_000, seed=0,
                  params=params)(states)
        np.testing.assert_allclose(q, _q_exact(), atol=0.05)
    behaviour_q = 1.0 + GAMMA * P_BEHAVIOUR  # what the data's own returns would say at step 0
    assert abs(q[0, 1] - behaviour_q) > 0.3


def test_a_reward_model_is_fqe_without_discount() -> None:
    rng = np.random.default_rng(1)
    spaces = spaces_from_gym(gym.spaces.Box(0.0, 1.0, (STEPS + 1,), np.float32),
                             gym.spaces.Discrete(2))
    model = fit_rewards([_episode(rng) for _ in range(100)], spaces=spaces, seed=0)
    np.testing.assert_allclose(model(np.eye(STEPS + 1, dtype=np.float32)[:STEPS]),
                               [[0.0, 1.0]] * STEPS, atol=0.05)


def test_returns_to_go() -> None:
    np.testing.assert_allclose(returns_to_go(np.array([1.0, 0.0, 2.0]), 0.5), [1.5, 1.0, 2.0])
