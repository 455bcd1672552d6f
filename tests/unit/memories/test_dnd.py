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


def _brute_force_q(dnd: DifferentiableNeuralDictionary, h: np.ndarray) -> np.ndarray:
    """Q from the stored keys alone: every distance computed directly, the p nearest taken."""
    q = np.zeros((len(h), dnd.n_actions))
    for a in range(dnd.n_actions):
        keys, values = dnd.keys[a, :dnd.sizes[a]], dnd.values[a, :dnd.sizes[a]]
        distances = ((h[:, None].astype(np.float64) - keys[None]) ** 2).sum(-1)
        nearest = np.argsort(distances, axis=1)[:, :dnd.neighbours]
        kernel = 1.0 / (np.take_along_axis(distances, nearest, 1) + dnd.delta)
        q[:, a] = (kernel * values[nearest]).sum(1) / kernel.sum(1)
    return q


def test_kept_norms_give_the_direct_distances_through_writes_replacements_and_restores() -> None:
    """The squared norms kept beside the keys (written with each key, rebuilt on restore) give
    the same nearest keys and Q as distances computed from the keys; a key within 1e-12 of a
    stored one updates it, one 1e-3 away is new."""
    rng = np.random.default_rng(3)
    dnd = _dnd(capacity=40, key_size=8, neighbours=5, delta=1e-3, insert_rate=0.5)
    for _ in range(30):  # past capacity: LRU replacements rewrite slots and their norms
        dnd.insert(rng.normal(size=(4, 8)), rng.integers(0, 2, 4), rng.normal(size=4))
        dnd.q_values(rng.normal(size=(3, 8)))
    probe = rng.normal(size=(16, 8)).astype(np.float32)
    np.testing.assert_allclose(dnd.q_values(probe, touch=False), _brute_force_q(dnd, probe),
                               rtol=1e-5)
    key, value = dnd.keys[1, 7].copy(), float(dnd.values[1, 7])
    sizes = dnd.sizes.copy()
    dnd.insert(key[None] + np.float32(1e-8), np.array([1]), np.array([value + 2.0]))
    assert dnd.values[1, 7] == np.float32(value + 1.0) and (dnd.sizes == sizes).all()
    dnd.insert(key[None] + np.float32(1e-3), np.array([1]), np.array([0.0]))
    assert dnd.values[1, 7] == np.float32(value + 1.0)  # a new key (or an LRU slot) took it
    restored = _dnd(capacity=40, key_size=8, neighbours=5, delta=1e-3)
    restored.load_state_dict(dnd.state_dict())
    np.testing.assert_array_equal(restored.q_values(probe, touch=False),
                                  dnd.q_values(probe, touch=False))
