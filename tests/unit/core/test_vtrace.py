"""V-trace on short trajectories: on-policy it is the n-step return; clipped ratios by hand;
episode ends cut it."""

from __future__ import annotations

import numpy as np

from coachrl.core.returns import compute_gae, vtrace

GAMMA = 0.5


def _columns(**changes):
    base = {"rewards": np.array([[1.0], [2.0], [3.0]]), "values": np.array([[0.5], [1.0], [2.0]]),
            "last_values": np.array([4.0]), "terminated": np.zeros((3, 1)),
            "dones": np.zeros((3, 1)), "discount": GAMMA}
    return base | changes


def test_on_policy_v_trace_is_the_n_step_return_and_gae_at_lambda_one() -> None:
    logs = np.log(np.full((3, 1), 0.3))
    targets, advantages = vtrace(behaviour_log_probs=logs, target_log_probs=logs, **_columns())
    # v_2 = 3 + 0.5 * 4 = 5; v_1 = 2 + 0.5 * 5 = 4.5; v_0 = 1 + 0.5 * 4.5 = 3.25
    np.testing.assert_allclose(targets[:, 0], [3.25, 4.5, 5.0])
    _, returns = compute_gae(gae_lambda=1.0, **_columns())
    np.testing.assert_allclose(targets, returns, rtol=1e-6)
    # advantages: r_t + gamma v_{t+1} - V(x_t)
    np.testing.assert_allclose(advantages[:, 0], [1 + 0.5 * 4.5 - 0.5, 2 + 0.5 * 5 - 1,
                                                  3 + 0.5 * 4 - 2])


def test_the_ratios_are_clipped_and_cut_the_trace() -> None:
    behaviour = np.log(np.array([[0.5], [0.5], [0.5]]))
    target = np.log(np.array([[1.0], [0.25], [1.0]]))  # ratios 2 (clipped to 1), 0.5, 2 (1)
    targets, advantages = vtrace(behaviour_log_probs=behaviour, target_log_probs=target,
                                 **_columns())
    # deltas: rho (r + gamma V' - V): t2: 1 * (3 + 2 - 2) = 3; t1: 0.5 * (2 + 1 - 1) = 1;
    # t0: 1 * (1 + 0.5 - 0.5) = 1
    # v_2 = 2 + 3 = 5; v_1 = 1 + 1 + 0.5 * 0.5 * (5 - 2) = 2.75; v_0 = 0.5 + 1 + 0.5 * 1 * (2.75
    # - 1) = 2.375
    np.testing.assert_allclose(targets[:, 0], [2.375, 2.75, 5.0])
    np.testing.assert_allclose(advantages[:, 0], [1 * (1 + 0.5 * 2.75 - 0.5),
                                                  0.5 * (2 + 0.5 * 5 - 1),
                                                  1 * (3 + 0.5 * 4 - 2)])


def test_a_terminated_step_bootstraps_from_nothing_and_a_truncated_one_from_its_next_value():
    logs = np.zeros((3, 1))
    ended = _columns(terminated=np.array([[1.0], [0.0], [0.0]]),
                     dones=np.array([[1.0], [0.0], [0.0]]))
    targets, advantages = vtrace(behaviour_log_probs=logs, target_log_probs=logs, **ended)
    assert targets[0, 0] == 1.0 and advantages[0, 0] == 1.0 - 0.5  # r_0 - V(x_0)
    truncated = _columns(dones=np.array([[1.0], [0.0], [0.0]]))
    targets, advantages = vtrace(behaviour_log_probs=logs, target_log_probs=logs, **truncated)
    assert targets[0, 0] == 1.0 + 0.5 * 1.0  # bootstraps from values[1], not from v_1
    assert advantages[0, 0] == 1.0 + 0.5 * 1.0 - 0.5
