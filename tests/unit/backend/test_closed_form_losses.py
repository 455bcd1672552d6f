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
    CategoricalQHead,
    ClippedSurrogateLoss,
    DiscretePolicyHead,
    DuelingQHead,
    FCMiddleware,
    GaussianPolicyHead,
    ImplicitQuantileHead,
    KLPenaltySurrogateLoss,
    LSTMMiddleware,
    NetworkSpec,
    OptimizerSpec,
    PolicyGradientLoss,
    QHead,
    QLoss,
    QuantileHuberLoss,
    QuantileQHead,
    Regression,
    ValueLoss,
    VectorEmbedder,
    VHead,
)

N_ACTIONS, TARGET_SAMPLES = 3, 7


def _spec(*heads: object, separate_towers: bool = False) -> NetworkSpec:
    return NetworkSpec(embedder=VectorEmbedder(input_size=4),
                       middleware=FCMiddleware(hidden_sizes=(16, 16), activation="relu"),
                       heads=heads, separate_towers=separate_towers)


# name: (heads, separate towers, loss overrides)
CASES = {
    "QR-DQN": ((QuantileQHead(n_actions=N_ACTIONS, quantiles=5),), False, {}),
    "QR-DQN, kappa 2": ((QuantileQHead(n_actions=N_ACTIONS, quantiles=5,
                                       loss=QuantileHuberLoss(kappa=2.0)),), False, {}),
    "QR-DQN, dueling": ((QuantileQHead(n_actions=N_ACTIONS, quantiles=5, dueling=True),), False,
                        {}),
    "IQN": ((ImplicitQuantileHead(n_actions=N_ACTIONS, quantiles=6, embedding_size=8,
                                  hidden_size=5),), False, {}),
    "DQN, Huber": ((QHead(n_actions=N_ACTIONS),), False, {}),
    "DQN, squared error": ((QHead(n_actions=N_ACTIONS, loss=QLoss(kind=Regression.MSE)),), False,
                           {}),
    "DQN, dueling": ((DuelingQHead(n_actions=N_ACTIONS),), False, {}),
    "PPO, categorical, clipped value": (
        (DiscretePolicyHead(n_actions=N_ACTIONS,
                            loss=ClippedSurrogateLoss(clip_range=0.2, entropy_weight=0.01)),
         VHead(loss=ValueLoss(weight=0.5, clip_range=0.1))), True, {"clip_range": 0.1}),
    "PPO, categorical, one tower": (
        (DiscretePolicyHead(n_actions=N_ACTIONS), VHead()), False, {}),
    "PPO, Gaussian": ((GaussianPolicyHead(action_dim=2, initial_log_std=-0.3), VHead()), True,
                      {}),
    "PPO, Gaussian, state-dependent std": (
        (GaussianPolicyHead(action_dim=2, state_dependent_std=True,
                            loss=ClippedSurrogateLoss(entropy_weight=0.02)), VHead()), True, {}),
    "A2C": ((DiscretePolicyHead(n_actions=N_ACTIONS,
                                loss=PolicyGradientLoss(entropy_weight=0.01)), VHead()), True, {}),
    "A2C, Gaussian, normalised advantages": (
        (GaussianPolicyHead(action_dim=2,
                            loss=PolicyGradientLoss(normalize_advantages=True)), VHead()), False,
        {}),
}


def _batch(rng: np.random.Generator, weighted: bool, size: int = 24) -> dict[str, np.ndarray]:
    old_values = rng.normal(size=size).astype(np.float32)
    batch = {
        B.OBSERVATIONS: rng.normal(size=(size, 4)).astype(np.float32),
        B.ACTIONS: rng.integers(0, N_ACTIONS, size),
        # spread past kappa both ways, so both branches of the Huber loss are taken
        B.TARGETS: rng.normal(0.0, 3.0, size=(size, TARGET_SAMPLES)).astype(np.float32),
        B.LOG_PROBS: rng.uniform(-2.0, -0.2, size).astype(np.float32),
        B.ADVANTAGES: rng.normal(size=size).astype(np.float32),
        B.RETURNS: rng.normal(0.0, 2.0, size).astype(np.float32),
        B.OLD_VALUES: old_values,
    }
    if weighted:
        batch[B.WEIGHTS] = rng.uniform(0.1, 1.0, size).astype(np.float32)
    return batch


def _for(heads: tuple[object, ...], batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The batch as the heads read it: scalar TD targets for a Q head, Gaussian actions."""
    batch = dict(batch)
    if any(isinstance(head, QHead | DuelingQHead) for head in heads):
        batch[B.TARGETS] = batch[B.TARGETS][:, 0]
    if any(isinstance(head, GaussianPolicyHead) for head in heads):
        batch[B.ACTIONS] = np.stack([batch[B.ADVANTAGES], batch[B.RETURNS]], 1) * 0.5
    return batch


def _gradients(network, batch: dict[str, np.ndarray], closed_form: bool, overrides: dict):
    network.closed_form = closed_form
    torch.manual_seed(0)  # IQN samples its fractions from torch's generator
    total, metrics = network._backward(batch, overrides)
    grads = {name: p.grad.detach().clone() for name, p in network.model.named_parameters()}
    return float(total), {k: float(v) for k, v in metrics.items()}, grads


@pytest.mark.parametrize("weighted", [False, True], ids=["uniform", "importance-weighted"])
@pytest.mark.parametrize("name", list(CASES))
def test_the_closed_form_gradient_equals_autograds(name: str, weighted: bool) -> None:
    heads, separate, overrides = CASES[name]
    backend = make_backend("torch")
    backend.seed(0)
    network = backend.build(_spec(*heads, separate_towers=separate),
                            optimizer=OptimizerSpec(learning_rate=1e-2))
    assert network.closed_form  # chosen by itself: every head's loss has a closed form
    rng = np.random.default_rng(3)
    for _ in range(3):  # and from moved weights
        batch = _for(heads, _batch(rng, weighted))
        loss, metrics, grads = _gradients(network, batch, True, overrides)
        ref_loss, ref_metrics, ref_grads = _gradients(network, batch, False, overrides)
        assert loss == pytest.approx(ref_loss, rel=1e-5)
        assert metrics == pytest.approx(ref_metrics, rel=1e-5, abs=1e-7)
        for key, value in ref_grads.items():
            np.testing.assert_allclose(grads[key], value, rtol=1e-4, atol=1e-7, err_msg=key)
            assert float(value.abs().max()) > 0, key  # every parameter takes a gradient
        network.closed_form = True
        network.train_on_batch(batch, **overrides)


def test_the_clipped_value_loss_follows_autograd_at_ties_and_at_the_clip() -> None:
    """Where the clipped and unclipped value losses tie (the value moved less than the clip:
    the clipped value is the value) autograd's maximum splits the gradient between them; at
    and past the clip the clamp passes none to the clipped branch."""
    head = VHead(loss=ValueLoss(weight=1.0, clip_range=0.5))
    network = make_backend("torch").build(_spec(head), optimizer=OptimizerSpec(learning_rate=1e-3))
    values = torch.tensor([0.0, 0.0, 0.0, 0.0, 0.0], requires_grad=True)
    batch = {B.RETURNS: torch.tensor([1.0, -1.0, 2.0, 0.3, -2.0]),
             B.OLD_VALUES: torch.tensor([0.0, 0.5, -0.5, -1.0, 2.0])}
    loss_fn = network.losses[0]
    reference, _ = loss_fn({"value": values}, batch)
    reference.backward()
    loss, _, grads = loss_fn.gradient({"value": values}, batch)
    assert float(loss) == pytest.approx(float(reference))
    np.testing.assert_allclose(grads["value"].numpy(), values.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("heads", [
    (CategoricalQHead(n_actions=2),),
    # one loss without a closed form (PPO's KL penalty) keeps the whole network on autograd
    (DiscretePolicyHead(n_actions=2, loss=KLPenaltySurrogateLoss()), VHead()),
], ids=["C51", "PPO-KL"])
def test_a_loss_without_a_closed_form_keeps_autograd(heads: tuple[object, ...]) -> None:
    backend = make_backend("torch")
    network = backend.build(_spec(*heads), optimizer=OptimizerSpec(learning_rate=1e-3))
    assert not all(isinstance(loss, ClosedFormLoss) for loss in network.losses)
    assert not network.closed_form


def test_a_recurrent_network_keeps_autograd() -> None:
    """Its outputs are masked sequences, never taped leaves: the closed form would save it
    nothing and only move its rounding."""
    spec = NetworkSpec(embedder=VectorEmbedder(input_size=4), middleware=LSTMMiddleware(),
                       heads=(DiscretePolicyHead(n_actions=2), VHead()), separate_towers=True)
    network = make_backend("torch").build(spec, optimizer=OptimizerSpec(learning_rate=1e-3))
    assert all(isinstance(loss, ClosedFormLoss) for loss in network.losses)
    assert not network.closed_form
