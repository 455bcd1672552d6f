"""The LSTM middleware: numpy equals torch step by step, and a state reset inside a sequence
equals running the two episodes apart."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.backend import make_backend
from coachrl.core import batch as B
from coachrl.networks.spec import (
    DiscretePolicyHead,
    LSTMMiddleware,
    NetworkSpec,
    VectorEmbedder,
    VHead,
)

HEADS = (DiscretePolicyHead(n_actions=3), VHead())


def _spec(*, separate_towers: bool = False, hidden_sizes: tuple[int, ...] = (16,),
          post_sizes: tuple[int, ...] = ()) -> NetworkSpec:
    return NetworkSpec(embedder=VectorEmbedder(input_size=5),
                       middleware=LSTMMiddleware(hidden_sizes=hidden_sizes, lstm_size=8,
                                                 post_sizes=post_sizes),
                       heads=HEADS, separate_towers=separate_towers)


def _pair(spec: NetworkSpec, seed: int = 0):
    """A torch network with perturbed weights (biases non-zero) and a numpy copy."""
    torch_backend = make_backend("torch")
    torch_backend.seed(seed)
    network = torch_backend.build(spec)
    rng = np.random.default_rng(seed)
    network.set_weights({k: (v + rng.normal(scale=0.3, size=v.shape)).astype(v.dtype)
                         for k, v in network.get_weights().items()})
    numpy_network = make_backend("numpy").build(spec)
    numpy_network.set_weights(network.get_weights())
    return network, numpy_network


def _observations(steps: int, envs: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(steps, envs, 5)).astype(np.float32)


def test_recurrent_state_size_counts_h_and_c_of_every_tower() -> None:
    assert _spec().recurrent_state_size == 16
    assert _spec(separate_towers=True).recurrent_state_size == 32


def test_layers_after_the_lstm_read_its_output_and_feed_the_heads() -> None:
    network, _ = _pair(_spec(separate_towers=True, post_sizes=(12, 6)))
    shapes = {k: v.shape for k, v in network.get_weights().items()}
    # towers.{tower}: 0 flatten, 1 linear 5->16, 2 tanh, 3 lstm 16->8, then 4 linear 8->12,
    # 5 tanh, 6 linear 12->6, 7 tanh
    assert shapes["towers.policy.3.weight_ih"] == (32, 16)
    assert shapes["towers.policy.4.weight"] == (12, 8)
    assert shapes["towers.value.6.weight"] == (6, 12)
    assert shapes["heads.value.linear.weight"] == (1, 6)
    assert _spec(post_sizes=(12, 6)).recurrent_state_size == 16  # the state is the LSTM's alone


@pytest.mark.parametrize("separate_towers", [False, True])
@pytest.mark.parametrize(("hidden_sizes", "post_sizes"),
                         [((), ()), ((16,), ()), ((), (12, 6)), ((16,), (12,))])
def test_numpy_step_matches_torch_over_several_steps(separate_towers: bool,
                                                     hidden_sizes: tuple[int, ...],
                                                     post_sizes: tuple[int, ...]) -> None:
    spec = _spec(separate_towers=separate_towers, hidden_sizes=hidden_sizes,
                 post_sizes=post_sizes)
    torch_net, numpy_net = _pair(spec)
    observations = _observations(6, 3)
    torch_state = numpy_state = None
    for t in range(len(observations)):
        expected = torch_net.predict(observations[t], torch_state)
        got = numpy_net.predict(observations[t], numpy_state)
        assert set(got) == set(expected)
        for name, value in expected.items():
            np.testing.assert_allclose(got[name], value, rtol=1e-5, atol=1e-5, err_msg=name)
        torch_state, numpy_state = expected[B.RECURRENT_STATE], got[B.RECURRENT_STATE]
    assert np.abs(numpy_state).max() > 0.05  # the state did carry something


def _sequence_outputs(network, observations: np.ndarray, state: np.ndarray,
                      starts: np.ndarray) -> tuple[dict, np.ndarray]:
    """Torch's unrolled forward of [S, L] sequences (as the loss sees them)."""
    import torch

    sequences, length = starts.shape
    with torch.no_grad():
        out, after = network.model.forward_recurrent(
            torch.as_tensor(observations.reshape(sequences * length, -1)),
            torch.as_tensor(state), torch.as_tensor(starts.reshape(-1)))
    return {k: v.numpy().reshape(sequences, length, *v.shape[1:]) for k, v in out.items()}, \
        after.numpy()


@pytest.mark.parametrize("post_sizes", [(), (12, 6)])
def test_unrolled_sequence_equals_stepping_one_step_at_a_time(
        post_sizes: tuple[int, ...]) -> None:
    torch_net, numpy_net = _pair(_spec(post_sizes=post_sizes))
    observations = _observations(7, 2)  # [L, S, 5]
    initial = np.random.default_rng(3).normal(size=(2, 16)).astype(np.float32)
    out, after = _sequence_outputs(torch_net, observations.transpose(1, 0, 2), initial,
                                   np.zeros((2, 7), bool))
    state = initial
    for t in range(7):
        step = numpy_net.predict(observations[t], state)
        for name in ("policy", "value"):
            np.testing.assert_allclose(out[name][:, t], step[name], rtol=1e-5, atol=1e-5)
        state = step[B.RECURRENT_STATE]
    np.testing.assert_allclose(after, state, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("post_sizes", [(), (12, 6)])
def test_sequence_crossing_an_episode_start_equals_two_separate_sequences(
        post_sizes: tuple[int, ...]) -> None:
    torch_net, _ = _pair(_spec(post_sizes=post_sizes))
    observations = _observations(9, 1)[:, 0]  # one env: episode A (4 steps), then B (5)
    initial = np.random.default_rng(4).normal(size=(1, 16)).astype(np.float32)
    starts = np.zeros((1, 9), bool)
    starts[0, 4] = True
    joined, after = _sequence_outputs(torch_net, observations[None], initial, starts)
    first, _ = _sequence_outputs(torch_net, observations[None, :4], initial,
                                 np.zeros((1, 4), bool))
    second, after_second = _sequence_outputs(torch_net, observations[None, 4:],
                                             np.zeros((1, 16), np.float32),
                                             np.zeros((1, 5), bool))
    for name in ("policy", "value"):
        np.testing.assert_allclose(joined[name][:, :4], first[name], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(joined[name][:, 4:], second[name], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(after, after_second, rtol=1e-6, atol=1e-6)
    # and without the start the second episode would have seen the first
    carried, _ = _sequence_outputs(torch_net, observations[None], initial, np.zeros((1, 9), bool))
    assert np.abs(carried["value"][:, 4:] - second["value"]).max() > 1e-3
