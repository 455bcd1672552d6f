"""Retrace targets on short trajectories: on-policy with exact Q they are the n-step return
through Q; truncated ratios cut the correction; episode ends cut the trace."""

from __future__ import annotations

import numpy as np

from coachrl.core.returns import retrace

GAMMA = 0.5


def _columns(**changes):
    base = {"rewards": np.array([[1.0], [2.0]]), "q_taken": np.array([[3.0], [4.0]]),
            "values": np.array([[2.5], [3.0]]), "ratios": np.array([[1.0], [1.0]]),
            "last_values": np.array([6.0]), "terminated": np.zeros((2, 1)),
            "dones": np.zeros((2, 1)), "discount": GAMMA}
    return base | changes


def test_on_policy_retrace_by_hand() -> None:
    targets = retrace(**_columns())
    # t1: 2 + 0.5 * V(x_2) = 2 + 3 = 5; t0: 1 + 0.5 * (1 * (5 - 4) + V(x_1) = 3) = 3
    np.testing.assert_allclose(targets[:, 0], [3.0, 5.0])


def test_a_small_ratio_truncates_the_correction() -> None:
    targets = retrace(**_columns(ratios=np.array([[1.0], [0.25]])))
    # t0: 1 + 0.5 * (0.25 * (5 - 4) + 3) = 2.625; a ratio above 1 is clipped to 1
    np.testing.assert_allclose(targets[:, 0], [2.625, 5.0])
    clipped = retrace(**_columns(ratios=np.array([[1.0], [3.0]])))
    np.testing.assert_allclose(clipped[:, 0], [3.0, 5.0])


def test_episode_ends_cut_the_trace() -> None:
    ended = retrace(**_columns(terminated=np.array([[1.0], [0.0]]),
                               dones=np.array([[1.0], [0.0]])))
    assert ended[0, 0] == 1.0  # terminated: the reward alone
    truncated = retrace(**_columns(dones=np.array([[1.0], [0.0]])))
    assert truncated[0, 0] == 1.0 + 0.5 * 3.0  # truncated: V of the next row, no correction
