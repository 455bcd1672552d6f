"""NEC's dictionary: lookup, insertion, LRU replacement, gradients, save and restore."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.errors import CheckpointError
from coachrl.memories import DifferentiableNeuralDictionary


def _dnd(**kwargs) -> DifferentiableNeuralDictionary:
    settings = {"n_actions": 2, "capacity": 3, "key_size": 2, "neighbours": 2, "delta": 1.0}
    return DifferentiableNeuralDictionary(**(settings | kwargs))


def test_q_is_the_kernel_weighted_mean_of_the_nearest_values() -> None:
    dnd = _dnd()
    dnd.insert(np.array([[0.0, 0.0], [2.0, 0.0], [9.0, 9.0]]), np.array([0, 0, 0]),
               np.array([1.0, 4.0, 100.0]))
    q = dnd.q_values(np.array([[1.0, 0.0]]))
    # the two nearest keys (distances 1 and 1, kernels 1/2 each): Q = (1 + 4) / 2; far key out
    np.testing.assert_allclose(q, [[2.5, 0.0]])  # action 1's dictionary is empty: 0
    q = dnd.q_values(np.array([[0.0, 0.0]]))  # distances 0 and 4: kernels 1 and 1/5
    np.testing.assert_allclose(q[0, 0], (1.0 * 1 + 0.2 * 4) / 1.2, rtol=1e-6)


def test_an_existing_key_moves_toward_the_target_and_a_full_one_replaces_its_lru_entry() -> None:
    dnd = _dnd(insert_rate=0.5)
    for t, key in enumerate(([0.0, 0.0], [5.0, 0.0], [10.0, 0.0])):
        dnd.insert(np.array([key]), np.array([1]), np.array([float(t)]))
    dnd.insert(np.array([[5.0, 0.0]]), np.array([1]), np.array([3.0]))  # a match: 1 -> 2
    assert dnd.sizes.tolist() == [0, 3] and dnd.values[1].tolist() == [0.0, 2.0, 2.0]
    dnd.q_values(np.array([[0.0, 0.0]]))  # uses keys 0 and 1: key 2 is now the oldest
    dnd.insert(np.array([[20.0, 0.0]]), np.array([1]), np.array([7.0]))
    assert dnd.keys[1, :, 0].tolist() == [0.0, 5.0, 20.0] and dnd.values[1, 2] == 7.0


def test_the_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(0)
    dnd = _dnd(capacity=20, key_size=3, neighbours=4, delta=0.5)
    dnd.insert(rng.normal(size=(20, 3)), rng.integers(0, 2, 20), rng.normal(size=20) * 3)
    h = rng.normal(size=(5, 3)).astype(np.float64)
    actions, targets = rng.integers(0, 2, 5), rng.normal(size=5)

    def loss(embeddings: np.ndarray) -> float:
        q = dnd.q_values(embeddings.astype(np.float32), touch=False)
        return float(((q[np.arange(5), actions] - targets) ** 2).mean())

    value, grad, value_grads = dnd.gradients(h, actions, targets)
    assert value == pytest.approx(loss(h), rel=1e-4)
    numeric = np.zeros_like(h)
    for i in range(5):
        for k in range(3):
            step = np.zeros_like(h)
            step[i, k] = 1e-3
            numeric[i, k] = (loss(h + step) - loss(h - step)) / 2e-3
    np.testing.assert_allclose(grad, numeric, rtol=2e-2, atol=1e-4)
    before = loss(h)
    dnd.apply_value_gradients(value_grads, learning_rate=0.5)
    assert loss(h) < before  # a step down the values' gradient lowers the loss


def test_the_dictionary_survives_a_round_trip_and_refuses_another_shape() -> None:
    dnd = _dnd()
    dnd.insert(np.array([[1.0, 2.0]]), np.array([1]), np.array([3.0]))
    restored = _dnd()
    restored.load_state_dict(dnd.state_dict())
    probe = np.array([[1.0, 1.0]])
    np.testing.assert_array_equal(restored.q_values(probe), dnd.q_values(probe))
    assert restored.clock == dnd.clock
    with pytest.raises(CheckpointError, match="keys of shape"):
        _dnd(capacity=4).load_state_dict(dnd.state_dict())
