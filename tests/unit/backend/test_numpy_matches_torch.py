"""The numpy inference backend gives the torch network's outputs (to 1e-5) for every block."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.backend import make_backend
from coachrl.networks.spec import (
    DictEmbedder,
    DiscretePolicyHead,
    FCMiddleware,
    GaussianPolicyHead,
    ImageEmbedder,
    NetworkSpec,
    QHead,
    VectorEmbedder,
    VHead,
)

ACTIVATIONS = ("tanh", "relu", "elu", "gelu")
HEADS = {
    "q": (QHead(n_actions=3),),
    "value": (VHead(),),
    "categorical": (DiscretePolicyHead(n_actions=4),),
    "gaussian": (GaussianPolicyHead(action_dim=2, initial_log_std=-0.5),),
    "gaussian_state_std": (GaussianPolicyHead(action_dim=2, state_dependent_std=True),),
    "actor_critic": (DiscretePolicyHead(n_actions=2), VHead()),
}


def _perturbed_pair(spec: NetworkSpec, seed: int):
    """A torch network with random non-zero weights and biases, and a numpy copy of it."""
    torch_backend = make_backend("torch")
    torch_backend.seed(seed)
    network = torch_backend.build(spec)
    rng = np.random.default_rng(seed)
    weights = {k: (v + rng.normal(scale=0.3, size=v.shape)).astype(v.dtype)
               for k, v in network.get_weights().items()}
    network.set_weights(weights)
    numpy_network = make_backend("numpy").build(spec)
    numpy_network.set_weights(network.get_weights())
    return network, numpy_network


def _assert_same_outputs(spec: NetworkSpec, observations: np.ndarray, seed: int = 0) -> None:
    torch_net, numpy_net = _perturbed_pair(spec, seed)
    expected = torch_net.predict(observations)
    got = numpy_net.predict(observations)
    assert set(got) == set(expected)
    for name, value in expected.items():
        assert got[name].shape == value.shape, name
        # 1e-5 of the output's scale: the perturbed CNN's outputs reach the hundreds, where
        # float32 sums taken in another order (BLAS vs oneDNN) differ in the 5th digit
        scale = max(1.0, float(np.abs(value).max()))
        np.testing.assert_allclose(got[name], value, rtol=1e-5, atol=1e-5 * scale, err_msg=name)


def _vector_spec(heads, *, activation: str = "tanh", embedder_sizes=(16,),
                 separate_towers: bool = False) -> NetworkSpec:
    return NetworkSpec(
        embedder=VectorEmbedder(input_size=5, hidden_sizes=embedder_sizes, activation=activation),
        middleware=FCMiddleware(hidden_sizes=(32, 24), activation=activation),
        heads=heads, separate_towers=separate_towers)


def _vector_observations(count: int = 9) -> np.ndarray:
    return np.random.default_rng(42).normal(scale=2.0, size=(count, 5)).astype(np.float32)


@pytest.mark.parametrize("head", sorted(HEADS))
@pytest.mark.parametrize("separate_towers", [False, True])
def test_every_head_matches_torch(head: str, separate_towers: bool) -> None:
    _assert_same_outputs(_vector_spec(HEADS[head], separate_towers=separate_towers),
                         _vector_observations())


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_matches_torch(activation: str) -> None:
    _assert_same_outputs(_vector_spec(HEADS["actor_critic"], activation=activation),
                         _vector_observations())


@pytest.mark.parametrize("embedder_sizes", [(), (8,), (16, 8)])
def test_vector_mlp_embedder_matches_torch(embedder_sizes: tuple[int, ...]) -> None:
    _assert_same_outputs(_vector_spec(HEADS["q"], embedder_sizes=embedder_sizes),
                         _vector_observations(1))


def test_nature_cnn_on_uint8_frames_matches_torch() -> None:
    spec = NetworkSpec(embedder=ImageEmbedder(shape=(84, 84, 4)),
                       middleware=FCMiddleware(hidden_sizes=(64,), activation="relu"),
                       heads=(QHead(n_actions=6), VHead()))
    frames = np.random.default_rng(0).integers(0, 256, size=(3, 84, 84, 4), dtype=np.uint8)
    _assert_same_outputs(spec, frames)


def test_numpy_network_without_weights_refuses_to_predict() -> None:
    network = make_backend("numpy").build(_vector_spec(HEADS["q"]))
    with pytest.raises(RuntimeError, match="no weights yet"):
        network.predict(_vector_observations())


def _dict_spec(separate_towers: bool = False) -> NetworkSpec:
    return NetworkSpec(
        embedder=DictEmbedder(inputs=(
            ("first", ImageEmbedder(shape=(3, 36, 36), channels_first=True)),
            ("last", ImageEmbedder(shape=(36, 36, 2))),
            ("goal", VectorEmbedder(input_size=3)),
            ("state", VectorEmbedder(input_size=4, hidden_sizes=(8,), activation="tanh")))),
        middleware=FCMiddleware(hidden_sizes=(32,), activation="relu"),
        heads=(DiscretePolicyHead(n_actions=3), VHead()), separate_towers=separate_towers)


def _records(count: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    dtype = np.dtype([("first", np.uint8, (3, 36, 36)), ("last", np.uint8, (36, 36, 2)),
                      ("goal", np.float32, (3,)), ("state", np.float32, (4,))])
    records = np.zeros(count, dtype)
    records["first"] = rng.integers(0, 256, (count, 3, 36, 36))
    records["last"] = rng.integers(0, 256, (count, 36, 36, 2))
    records["goal"] = rng.normal(size=(count, 3))
    records["state"] = rng.normal(size=(count, 4))
    return records


@pytest.mark.parametrize("separate_towers", [False, True])
def test_dict_observations_with_images_either_way_round_match_torch(
        separate_towers: bool) -> None:
    _assert_same_outputs(_dict_spec(separate_towers), _records(5))


def test_a_dict_network_trains_and_reads_each_key() -> None:
    """Every key reaches the outputs (its embedder's weights get a gradient)."""
    from coachrl.core import batch as B
    from coachrl.networks.spec import OptimizerSpec

    network = make_backend("torch").build(_dict_spec(), optimizer=OptimizerSpec(learning_rate=1e-3))
    records = _records(16)
    gradients = network.compute_gradients({
        B.OBSERVATIONS: records, B.ACTIONS: np.zeros(16, np.int64),
        B.ADVANTAGES: np.linspace(-1, 1, 16).astype(np.float32),
        B.LOG_PROBS: np.full(16, -1.1, np.float32), B.RETURNS: np.ones(16, np.float32),
        B.OLD_VALUES: np.zeros(16, np.float32)})
    for key in ("first", "last", "state"):
        name = next(n for n in gradients if f"inputs.{key}." in n and n.endswith("weight"))
        assert np.abs(gradients[name]).sum() > 0, name
    assert np.abs(gradients["towers.shared.1.weight"]).sum() > 0  # the middleware
