"""Losses that know their gradient (``ClosedFormLoss``) train exactly as autograd through them
would: same loss, same metrics, same parameter gradients, with and without importance weights;
the network takes the closed form by itself where every head's loss has one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coachrl.backend import make_backend
from coachrl.backend.torch.loss_registry import ClosedFormLoss
from coachrl.core import batch as B
from coachrl.networks.spec import (
    FCMiddleware,
    ImplicitQuantileHead,
    NetworkSpec,
    OptimizerSpec,
    QHead,
    QuantileHuberLoss,
    QuantileQHead,
    VectorEmbedder,
)

N_ACTIONS, TARGET_SAMPLES = 3, 7


def _spec(head: object) -> NetworkSpec:
    return NetworkSpec(embedder=VectorEmbedder(input_size=4),
                       middleware=FCMiddleware(hidden_sizes=(16, 16), activation="relu"),
                       heads=(head,))


HEADS = {
    "QR-DQN": QuantileQHead(n_actions=N_ACTIONS, quantiles=5),
    "QR-DQN, kappa 2": QuantileQHead(n_actions=N_ACTIONS, quantiles=5,
                                     loss=QuantileHuberLoss(kappa=2.0)),
    "QR-DQN, dueling": QuantileQHead(n_actions=N_ACTIONS, quantiles=5, dueling=True),
    "IQN": ImplicitQuantileHead(n_actions=N_ACTIONS, quantiles=6, embedding_size=8,
                                hidden_size=5),
}


def _batch(rng: np.random.Generator, weighted: bool, size: int = 24) -> dict[str, np.ndarray]:
    batch = {
        B.OBSERVATIONS: rng.normal(size=(size, 4)).astype(np.float32),
        B.ACTIONS: rng.integers(0, N_ACTIONS, size),
        # spread past kappa both ways, so both branches of the Huber loss are taken
        B.TARGETS: rng.normal(0.0, 3.0, size=(size, TARGET_SAMPLES)).astype(np.float32),
    }
    if weighted:
        batch[B.WEIGHTS] = rng.uniform(0.1, 1.0, size).astype(np.float32)
    return batch


def _gradients(network, batch: dict[str, np.ndarray], closed_form: bool):
    network.closed_form = closed_form
    torch.manual_seed(0)  # IQN samples its fractions from torch's generator
    total, metrics = network._backward(batch, {})
    grads = {name: p.grad.detach().clone() for name, p in network.model.named_parameters()}
    return float(total), {k: float(v) for k, v in metrics.items()}, grads


@pytest.mark.parametrize("weighted", [False, True], ids=["uniform", "importance-weighted"])
@pytest.mark.parametrize("name", list(HEADS))
def test_the_closed_form_gradient_equals_autograds(name: str, weighted: bool) -> None:
    backend = make_backend("torch")
    backend.seed(0)
    network = backend.build(_spec(HEADS[name]), optimizer=OptimizerSpec(learning_rate=1e-2))
    assert network.closed_form  # chosen by itself: the quantile Huber loss has a closed form
    rng = np.random.default_rng(3)
    for _ in range(3):  # and from moved weights
        batch = _batch(rng, weighted)
        loss, metrics, grads = _gradients(network, batch, closed_form=True)
        ref_loss, ref_metrics, ref_grads = _gradients(network, batch, closed_form=False)
        assert loss == pytest.approx(ref_loss, rel=1e-5)
        assert metrics == pytest.approx(ref_metrics, rel=1e-5)
        for key, value in ref_grads.items():
            np.testing.assert_allclose(grads[key], value, rtol=1e-4, atol=1e-7, err_msg=key)
        assert max(float(g.abs().max()) for g in grads.values()) > 0
        network.closed_form = True
        network.train_on_batch(batch)


def test_a_loss_without_a_closed_form_keeps_autograd() -> None:
    backend = make_backend("torch")
    network = backend.build(_spec(QHead(n_actions=2)), optimizer=OptimizerSpec(learning_rate=1e-3))
    assert not any(isinstance(loss, ClosedFormLoss) for loss in network.losses)
    assert not network.closed_form
