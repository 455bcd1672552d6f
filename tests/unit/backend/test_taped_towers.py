"""MLP towers and head output layers backpropagated by hand (``Model.forward_taped``) give
autograd's gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coachrl.backend import make_backend
from coachrl.backend.torch.blocks import Model
from coachrl.core import batch as B
from coachrl.networks.spec import (
    ClippedSurrogateLoss,
    DiscretePolicyHead,
    FCMiddleware,
    GaussianPolicyHead,
    ImageEmbedder,
    NetworkSpec,
    OptimizerSpec,
    QHead,
    QLoss,
    ValueLoss,
    VectorEmbedder,
    VHead,
)

ACTOR_CRITIC = (DiscretePolicyHead(n_actions=3, loss=ClippedSurrogateLoss(entropy_weight=0.01)),
                VHead(loss=ValueLoss(clip_range=0.2)))
SPECS = {
    "separate tanh towers, discrete PPO": NetworkSpec(
        embedder=VectorEmbedder(input_size=4), middleware=FCMiddleware(activation="tanh"),
        heads=ACTOR_CRITIC, separate_towers=True),
    "one shared ReLU tower with an embedder MLP": NetworkSpec(
        embedder=VectorEmbedder(input_size=4, hidden_sizes=(16,), activation="relu"),
        middleware=FCMiddleware(hidden_sizes=(32, 8), activation="relu"), heads=ACTOR_CRITIC),
    "Gaussian policy, state-dependent std": NetworkSpec(
        embedder=VectorEmbedder(input_size=4), middleware=FCMiddleware(activation="tanh"),
        heads=(GaussianPolicyHead(action_dim=2, state_dependent_std=True), VHead()),
        separate_towers=True),
    "Gaussian policy, free log-std, one tower": NetworkSpec(
        embedder=VectorEmbedder(input_size=4), middleware=FCMiddleware(activation="relu"),
        heads=(GaussianPolicyHead(action_dim=2, initial_log_std=-0.5), VHead())),
    "Q head, tanh": NetworkSpec(
        embedder=VectorEmbedder(input_size=4), middleware=FCMiddleware(activation="tanh"),
        heads=(QHead(n_actions=3, loss=QLoss(kind="huber")),)),
}


def _batch(rng: np.random.Generator, spec: NetworkSpec, size: int = 40) -> dict[str, np.ndarray]:
    continuous = isinstance(spec.heads[0], GaussianPolicyHead)
    return {
        B.OBSERVATIONS: rng.normal(size=(size, 4)).astype(np.float32),
        B.ACTIONS: (rng.normal(size=(size, 2)).astype(np.float32) if continuous
                    else rng.integers(0, 3, size)),
        B.LOG_PROBS: rng.normal(-1.0, 0.3, size).astype(np.float32),
        B.ADVANTAGES: rng.normal(size=size).astype(np.float32),
        B.RETURNS: rng.normal(size=size).astype(np.float32),
        B.OLD_VALUES: rng.normal(size=size).astype(np.float32),
        B.TARGETS: rng.normal(size=size).astype(np.float32),
    }


def _autograd_gradients(network, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The reference: the plain autograd forward, every layer differentiated by torch."""
    tensors = {key: torch.as_tensor(value) for key, value in batch.items()}
    out = network.model(tensors[B.OBSERVATIONS])
    total = sum(loss(out, tensors)[0] for loss in network.losses)
    names, parameters = zip(*network.model.named_parameters(), strict=True)
    grads = torch.autograd.grad(total, parameters, allow_unused=True)
    return {name: (np.zeros(tuple(p.shape), np.float32) if g is None else g.numpy())
            for name, p, g in zip(names, parameters, grads, strict=True)}


@pytest.mark.parametrize("name", list(SPECS))
def test_taped_gradients_equal_autograd_gradients(name: str) -> None:
    backend = make_backend("torch")
    backend.seed(0)
    network = backend.build(SPECS[name], optimizer=OptimizerSpec(learning_rate=1e-3))
    assert isinstance(network.model, Model)
    assert all(layers is not None for layers in network.model._mlp.values())  # all taped
    rng = np.random.default_rng(1)
    for _ in range(3):  # from moved weights too, where ratios leave 1 and clipping engages
        batch = _batch(rng, SPECS[name])
        expected = _autograd_gradients(network, batch)
        got = network.compute_gradients(batch)
        assert set(got) == set(expected)
        for key, value in expected.items():
            np.testing.assert_allclose(got[key], value, rtol=1e-4, atol=1e-6, err_msg=key)
        tower_grads = [got[k] for k in got if k.startswith("towers.")]
        assert tower_grads and all(np.abs(g).max() > 0 for g in tower_grads)
        network.train_on_batch(batch)


def test_towers_that_are_not_plain_mlps_stay_in_autograd() -> None:
    spec = NetworkSpec(embedder=ImageEmbedder(shape=(36, 36, 1)),
                       middleware=FCMiddleware(hidden_sizes=(16,)),
                       heads=(QHead(n_actions=2),))
    backend = make_backend("torch")
    backend.seed(0)
    network = backend.build(spec, optimizer=OptimizerSpec(learning_rate=1e-3))
    assert network.model._mlp == {"shared": None}
    rng = np.random.default_rng(0)
    batch = {B.OBSERVATIONS: rng.integers(0, 256, (8, 36, 36, 1), dtype=np.uint8),
             B.ACTIONS: rng.integers(0, 2, 8), B.TARGETS: rng.normal(size=8).astype(np.float32)}
    expected = _autograd_gradients(network, batch)
    got = network.compute_gradients(batch)
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-4, atol=1e-6, err_msg=key)


def test_a_tower_no_head_reads_contributes_no_gradient() -> None:
    spec = SPECS["separate tanh towers, discrete PPO"]
    backend = make_backend("torch")
    backend.seed(0)
    model = backend.build(spec, optimizer=None).model
    out, tapes = model.forward_taped(torch.randn(5, 4))
    out["value"].sum().backward()  # the policy tower's features get no gradient
    for tape in tapes:
        tape.backward()
    policy_tower = dict(model.named_parameters())["towers.policy.1.weight"]
    value_tower = dict(model.named_parameters())["towers.value.1.weight"]
    assert policy_tower.grad is None or not policy_tower.grad.any()
    assert value_tower.grad is not None and value_tower.grad.abs().max() > 0
