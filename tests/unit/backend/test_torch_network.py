"""Torch network: training lowers the loss, target updates, NaN guard, learning rate, state."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coachrl.backend import make_backend
from coachrl.core import batch as B
from coachrl.networks.spec import (
    DiscretePolicyHead,
    FCMiddleware,
    GaussianPolicyHead,
    NetworkSpec,
    OptimizerSpec,
    QHead,
    QLoss,
    VectorEmbedder,
    VHead,
)

SPEC = NetworkSpec(embedder=VectorEmbedder(input_size=4),
                   middleware=FCMiddleware(hidden_sizes=(32, 32), activation="tanh"),
                   heads=(QHead(n_actions=2, loss=QLoss(kind="mse")),))


def _network(seed: int = 0, learning_rate: float = 1e-2, max_grad_norm: float = 0.0):
    backend = make_backend("torch")
    backend.seed(seed)
    return backend.build(SPEC, optimizer=OptimizerSpec(learning_rate=learning_rate,
                                                       max_grad_norm=max_grad_norm))


def _batch(seed: int = 0, size: int = 64) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    observations = rng.normal(size=(size, 4)).astype(np.float32)
    return {B.OBSERVATIONS: observations,
            B.ACTIONS: rng.integers(0, 2, size),
            B.TARGETS: (observations[:, 0] * 2.0 - observations[:, 1]).astype(np.float32)}


def _assert_weights_equal(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize("max_grad_norm", [0.0, 1.0])
def test_training_lowers_a_q_regression_loss(max_grad_norm: float) -> None:
    network = _network(max_grad_norm=max_grad_norm)
    batch = _batch()
    losses = [network.train_on_batch(batch)["loss/q"] for _ in range(200)]
    assert losses[-1] < 0.1 * losses[0]
    metrics = network.train_on_batch(batch)
    assert {"loss/q", "loss/total", "optim/grad_norm", "q/q_mean"} <= set(metrics)
    assert "loss/nonfinite" not in metrics


def test_hard_copy_makes_the_target_equal_to_the_source() -> None:
    online, target = _network(seed=0), _network(seed=1)
    online.copy_to(target, tau=1.0)
    _assert_weights_equal(target.get_weights(), online.get_weights())


def test_soft_copy_moves_the_target_by_tau() -> None:
    online, target = _network(seed=0), _network(seed=1)
    source, before = online.get_weights(), target.get_weights()
    online.copy_to(target, tau=0.1)
    after = target.get_weights()
    for key in source:
        np.testing.assert_allclose(after[key], 0.9 * before[key] + 0.1 * source[key],
                                   rtol=1e-6, atol=1e-7, err_msg=key)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_target_skips_the_update(bad: float) -> None:
    network = _network()
    before = network.get_weights()
    batch = _batch()
    batch[B.TARGETS][3] = bad
    metrics = network.train_on_batch(batch)
    assert metrics["loss/nonfinite"] == 1.0
    assert not np.isfinite(metrics["loss/q"])
    _assert_weights_equal(network.get_weights(), before)
    # the next finite batch trains normally
    assert "loss/nonfinite" not in network.train_on_batch(_batch(1))


def test_set_learning_rate_changes_the_optimiser_step_size() -> None:
    network = _network(learning_rate=1e-2)
    network.set_learning_rate(0.0)
    assert network.adam is not None and network.adam.learning_rate == 0.0
    before = network.get_weights()
    network.train_on_batch(_batch())
    _assert_weights_equal(network.get_weights(), before)  # Adam with lr 0 does not move
    network.set_learning_rate(5e-3)
    network.train_on_batch(_batch())
    assert network.adam.learning_rate == 5e-3
    assert any(not np.array_equal(network.get_weights()[k], before[k]) for k in before)


def test_state_dict_round_trip_with_optimiser_gives_the_same_next_update() -> None:
    network = _network(seed=0)
    for seed in range(5):  # build up Adam moments
        network.train_on_batch(_batch(seed))
    state = network.state_dict()
    assert "optimizer" in state
    restored = _network(seed=7)
    restored.load_state_dict(state)
    _assert_weights_equal(restored.get_weights(), network.get_weights())
    for seed in (10, 11):
        a, b = network.train_on_batch(_batch(seed)), restored.train_on_batch(_batch(seed))
        assert a == b
    _assert_weights_equal(restored.get_weights(), network.get_weights())


def test_state_dict_holds_only_numpy_arrays_and_plain_values() -> None:
    network = _network()
    network.train_on_batch(_batch())

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value)
        else:
            assert isinstance(node, np.ndarray | int | float | bool | str | type(None)), type(node)

    walk(network.state_dict())


def test_a_network_without_optimiser_refuses_to_train() -> None:
    network = make_backend("torch").build(SPEC)
    with pytest.raises(RuntimeError, match="without an optimizer"):
        network.train_on_batch(_batch())


@pytest.mark.parametrize("max_grad_norm", [0.0, 0.5])
def test_the_fused_adam_fast_path_matches_torch_optim_adam_bit_for_bit(
        max_grad_norm: float) -> None:
    fast, reference = _network(max_grad_norm=max_grad_norm), _network(max_grad_norm=max_grad_norm)
    assert fast.adam is not None and fast.optimizer_spec is not None
    torch_adam = torch.optim.Adam(reference.model.parameters(), lr=fast.adam.learning_rate,
                                  eps=fast.optimizer_spec.adam_epsilon, fused=True)
    reference._adam_step = torch_adam.step  # type: ignore[method-assign]
    for step in range(30):
        batch = _batch(seed=step)
        if step == 10:  # a learning-rate change must reach the kernel
            fast.set_learning_rate(3e-3)
            torch_adam.param_groups[0]["lr"] = 3e-3
        if step == 20:  # so must optimiser state restored from a checkpoint
            fast.load_state_dict(fast.state_dict())
        assert fast.train_on_batch(batch) == reference.train_on_batch(batch)
    assert fast.adam._public is None  # the fast path was taken, torch.optim never built
    _assert_weights_equal(fast.get_weights(), reference.get_weights())
    fast_state, reference_state = fast.adam.state_dict(), torch_adam.state_dict()
    assert fast_state["param_groups"] == reference_state["param_groups"]
    for index, values in reference_state["state"].items():
        for name, value in values.items():
            torch.testing.assert_close(fast_state["state"][index][name], value, rtol=0, atol=0)


def test_float64_observations_predict_as_their_float32_values() -> None:
    """MuJoCo's observations straight from Gymnasium are float64 (a user's own loop, an
    evaluation harness): the network takes them as the float32 the env adapter stores."""
    network = _network()
    observations = np.random.default_rng(1).normal(size=(5, 4))
    got = network.predict(observations)
    want = network.predict(observations.astype(np.float32))
    for name in want:
        np.testing.assert_array_equal(got[name], want[name])


@pytest.mark.parametrize("separate_towers", [False, True])
@pytest.mark.parametrize("policy", [DiscretePolicyHead(n_actions=2),
                                    GaussianPolicyHead(action_dim=2, initial_log_std=-0.5)])
def test_predicting_the_policy_alone_skips_the_critic_tower(policy, separate_towers: bool) -> None:
    spec = NetworkSpec(embedder=VectorEmbedder(input_size=4),
                       middleware=FCMiddleware(hidden_sizes=(16, 16), activation="tanh"),
                       heads=(policy, VHead()), separate_towers=separate_towers)
    backend = make_backend("torch")
    backend.seed(0)
    network = backend.build(spec)
    observations = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)
    everything = network.predict(observations)
    alone = network.predict(observations, heads=("policy",))
    assert set(alone) == set(everything) - {"value"}
    for name, value in alone.items():
        np.testing.assert_array_equal(value, everything[name], err_msg=name)
    if separate_towers:  # a critic tower of NaNs: the policy's outputs never meet it
        with torch.no_grad():
            for parameter in network.model.towers["value"].parameters():
                parameter.fill_(float("nan"))
        assert np.isnan(network.predict(observations)["value"]).all()
        for value in network.predict(observations, heads=("policy",)).values():
            assert np.isfinite(value).all()
