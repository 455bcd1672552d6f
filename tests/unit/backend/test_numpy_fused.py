"""The numpy backend's fused MLP: the same outputs as layer-by-layer inference, used only where
it applies (vector inputs, in-place activations, towers narrow enough to fuse)."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.backend import make_backend
from coachrl.backend.numpy import FUSED_WIDTH_LIMIT, NumpyNetwork
from coachrl.networks.spec import (
    DiscretePolicyHead,
    FCMiddleware,
    GaussianPolicyHead,
    ImageEmbedder,
    NetworkSpec,
    QHead,
    VectorEmbedder,
    VHead,
)

HEADS = {
    "q": (QHead(n_actions=3),),
    "actor_critic": (DiscretePolicyHead(n_actions=2), VHead()),
    "gaussian": (GaussianPolicyHead(action_dim=2, initial_log_std=-0.5), VHead()),
    "gaussian_state_std": (GaussianPolicyHead(action_dim=2, state_dependent_std=True), VHead()),
}


def _spec(heads, *, separate_towers: bool, activation: str = "tanh", embedder=(8,),
          hidden=(16, 12)) -> NetworkSpec:
    return NetworkSpec(
        embedder=VectorEmbedder(input_size=5, hidden_sizes=embedder, activation="relu"),
        middleware=FCMiddleware(hidden_sizes=hidden, activation=activation),
        heads=heads, separate_towers=separate_towers)


def _network(spec: NetworkSpec, seed: int = 0) -> NumpyNetwork:
    torch_backend = make_backend("torch")
    torch_backend.seed(seed)
    rng = np.random.default_rng(seed)
    weights = {k: (v + rng.normal(scale=0.3, size=v.shape)).astype(v.dtype)
               for k, v in torch_backend.build(spec).get_weights().items()}
    network = make_backend("numpy").build(spec)
    assert isinstance(network, NumpyNetwork)
    network.set_weights(weights)
    return network


def _layer_by_layer(network: NumpyNetwork, observations: np.ndarray) -> dict[str, np.ndarray]:
    reference = NumpyNetwork(network.spec, fuse=False)
    reference.set_weights(network.get_weights())
    assert reference._fused is None
    return reference.predict(observations)


@pytest.mark.parametrize("separate_towers", [False, True])
@pytest.mark.parametrize("heads", sorted(HEADS))
@pytest.mark.parametrize("batch", [1, 8])
def test_fused_outputs_equal_layer_by_layer_outputs(heads: str, separate_towers: bool,
                                                    batch: int) -> None:
    network = _network(_spec(HEADS[heads], separate_towers=separate_towers))
    assert network._fused is not None
    observations = np.random.default_rng(1).normal(size=(batch, 5)).astype(np.float32)
    fused, reference = network.predict(observations), _layer_by_layer(network, observations)
    assert set(fused) == set(reference)
    for name, value in reference.items():
        assert fused[name].shape == value.shape, name
        np.testing.assert_allclose(fused[name], value, rtol=1e-6, atol=1e-6, err_msg=name)


def test_heads_straight_on_the_input_are_fused_too() -> None:
    network = _network(_spec(HEADS["actor_critic"], separate_towers=True, embedder=(),
                             hidden=()))
    observations = np.random.default_rng(2).normal(size=(4, 5)).astype(np.float32)
    assert network._fused is not None
    for name, value in _layer_by_layer(network, observations).items():
        np.testing.assert_allclose(network.predict(observations)[name], value, rtol=1e-6,
                                   atol=1e-6)


def test_float64_observations_are_cast_as_the_layer_path_casts_them() -> None:
    network = _network(_spec(HEADS["q"], separate_towers=False))
    observations = np.random.default_rng(3).normal(size=(3, 5))
    np.testing.assert_allclose(network.predict(observations)["q"],
                               _layer_by_layer(network, observations)["q"], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", ["elu", "image", "too_wide"])
def test_networks_the_fusion_does_not_cover_keep_the_layer_path(case: str) -> None:
    if case == "elu":
        spec = _spec(HEADS["q"], separate_towers=False, activation="elu")
    elif case == "image":
        spec = NetworkSpec(embedder=ImageEmbedder(shape=(36, 36, 1)),
                           middleware=FCMiddleware(hidden_sizes=(8,)), heads=HEADS["q"])
    else:  # two towers of this width would make a block-diagonal layer wider than the limit
        spec = _spec(HEADS["actor_critic"], separate_towers=True,
                     hidden=(FUSED_WIDTH_LIMIT // 2 + 1,))
    assert _network(spec)._fused is None


@pytest.mark.parametrize("separate_towers", [False, True])
@pytest.mark.parametrize("heads", ["actor_critic", "gaussian", "gaussian_state_std"])
def test_predicting_some_heads_runs_only_theirs_and_gives_the_same_outputs(
        heads: str, separate_towers: bool) -> None:
    network = _network(_spec(HEADS[heads], separate_towers=separate_towers))
    observations = np.random.default_rng(4).normal(size=(6, 5)).astype(np.float32)
    everything = network.predict(observations)
    policy = network.predict(observations, heads=("policy",))
    assert "value" not in policy  # the critic was not run
    assert set(policy) == set(everything) - {"value"}
    for name, value in policy.items():
        np.testing.assert_allclose(value, everything[name], rtol=1e-6, atol=1e-6, err_msg=name)
    subset = network._fused_of(("policy",))
    assert subset is not None
    width = sum(w.shape[1] for w, _, _ in network._fused.layers)
    assert sum(w.shape[1] for w, _, _ in subset.layers) < width  # less work than every head's
    # new weights: the subset follows them
    network.set_weights({k: v * 0.5 for k, v in network.get_weights().items()})
    np.testing.assert_allclose(network.predict(observations, heads=("policy",))["policy"],
                               network.predict(observations)["policy"], rtol=1e-6, atol=1e-6)


def test_every_head_asked_for_takes_the_whole_fusion() -> None:
    network = _network(_spec(HEADS["actor_critic"], separate_towers=True))
    assert network._fused_of(("policy", "value")) is None
    observations = np.random.default_rng(5).normal(size=(2, 5)).astype(np.float32)
    assert set(network.predict(observations, heads=("policy", "value"))) == {"policy", "value"}
