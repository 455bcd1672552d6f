"""compute_gradients + apply_gradients (the A3C path) make the same step as train_on_batch."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.backend.test_torch_network import _batch, _network


@pytest.mark.parametrize("max_grad_norm", [0.0, 0.5])
def test_gradients_applied_elsewhere_equal_a_local_training_step(max_grad_norm: float) -> None:
    local, remote = (_network(seed=0, max_grad_norm=max_grad_norm) for _ in range(2))
    batch = _batch(seed=1)
    local.train_on_batch(batch)
    gradients = remote.compute_gradients(batch)  # e.g. on a worker holding a copy
    assert all(isinstance(g, np.ndarray) for g in gradients.values())
    metrics = remote.apply_gradients(gradients)
    assert metrics["optim/grad_norm"] > 0
    for key, value in local.get_weights().items():
        np.testing.assert_allclose(remote.get_weights()[key], value, rtol=1e-5, atol=1e-6)


def test_non_finite_gradients_are_not_applied() -> None:
    network = _network()
    before = network.get_weights()
    gradients = {k: np.full_like(v, np.nan) for k, v in network.compute_gradients(_batch()).items()}
    assert network.apply_gradients(gradients) == {"loss/nonfinite": 1.0}
    for key, value in before.items():
        np.testing.assert_array_equal(network.get_weights()[key], value)
