"""The torch learner's hand-written global gradient-norm clip equals
``torch.nn.utils.clip_grad_norm_``, for every kind of network the backend builds.

``TorchNetwork`` keeps its gradient in one flat buffer and clips it in ``_clipped_step`` by a
host-side factor computed from the norm that its metrics transfer brings back; ``_adam_step``
then hands that buffer to the fused Adam kernel. These tests spy on the two ends of the clip:
the buffer when the network measures its norm (``_grad_norm``, before the clip) and when Adam
is about to consume it (``_adam_step``, after the clip). The clipped buffer must equal
``clip_grad_norm_`` applied to copies of the parameters holding the measured gradient, and the
reported grad-norm metric must equal the total norm ``clip_grad_norm_`` returns, with the norm
far below, just below, just above and far above ``max_grad_norm``, and with clipping off. Every
path that takes a step is covered: ``train_on_batch`` (a real backward, taped MLP towers or
autograd CNNs), ``apply_gradients`` (known random gradients) and SAC's critic and actor steps.
The last test follows the parameters through several Adam steps against ``torch.optim.Adam``
on ``clip_grad_norm_``'s gradients, where Adam's near scale-invariance cannot hide the clip
because the gradient's norm changes from step to step.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch

from coachrl.backend import make_backend
from coachrl.backend.torch.network import TorchNetwork
from coachrl.core import batch as B
from coachrl.core.spaces import ObservationSpace
from coachrl.networks.spec import (
    ActionValueHead,
    ClippedSurrogateLoss,
    DiscretePolicyHead,
    FCMiddleware,
    GaussianPolicyHead,
    ImageEmbedder,
    NetworkSpec,
    OptimizerSpec,
    QHead,
    QLoss,
    SquashedGaussianPolicyHead,
    TemperatureLoss,
    ValueLoss,
    VectorEmbedder,
    VHead,
    action_value_spec,
)

LEARNING_RATE, ADAM_EPSILON = 1e-3, 1e-5
# the library takes the norm of the flat float32 buffer in one reduction, clip_grad_norm_ the
# norm of per-parameter norms: over the 10^5 weights of a CNN their float32 sums part by ~1e-5
NORM_RTOL = 1e-4
OBSERVATION_SIZE, N_ACTIONS, ACTION_DIM = 4, 3, 2
PPO_DISCRETE = (DiscretePolicyHead(n_actions=N_ACTIONS,
                                   loss=ClippedSurrogateLoss(entropy_weight=0.01)),
                VHead(loss=ValueLoss(clip_range=0.2)))
SAC_CRITIC, SAC_ACTOR = "SAC critic: fused twin-Q ensemble", "SAC actor: squashed Gaussian"

# the networks ``train_on_batch`` trains: DQN's Q heads, PPO's actor-critics, image embedders
TRAINED_ON_BATCHES = {
    "DQN: Q head on a tanh MLP tower": NetworkSpec(
        embedder=VectorEmbedder(input_size=OBSERVATION_SIZE),
        middleware=FCMiddleware(hidden_sizes=(32, 32), activation="tanh"),
        heads=(QHead(n_actions=N_ACTIONS, loss=QLoss(kind="huber")),)),
    "DQN: Q head on a ReLU tower behind an embedder MLP": NetworkSpec(
        embedder=VectorEmbedder(input_size=OBSERVATION_SIZE, hidden_sizes=(16,)),
        middleware=FCMiddleware(hidden_sizes=(32,), activation="relu"),
        heads=(QHead(n_actions=N_ACTIONS, loss=QLoss(kind="mse")),)),
    "PPO discrete: separate actor and critic towers": NetworkSpec(
        embedder=VectorEmbedder(input_size=OBSERVATION_SIZE),
        middleware=FCMiddleware(hidden_sizes=(32, 32), activation="tanh"),
        heads=PPO_DISCRETE, separate_towers=True),
    "PPO discrete: one shared tower": NetworkSpec(
        embedder=VectorEmbedder(input_size=OBSERVATION_SIZE, hidden_sizes=(16,)),
        middleware=FCMiddleware(hidden_sizes=(32, 8), activation="relu"), heads=PPO_DISCRETE),
    "PPO Gaussian: separate towers, state-dependent std": NetworkSpec(
        embedder=VectorEmbedder(input_size=OBSERVATION_SIZE),
        middleware=FCMiddleware(hidden_sizes=(32, 32), activation="tanh"),
        heads=(GaussianPolicyHead(action_dim=ACTION_DIM, state_dependent_std=True), VHead()),
        separate_towers=True),
    "PPO Gaussian: one tower, free log-std parameter": NetworkSpec(
        embedder=VectorEmbedder(input_size=OBSERVATION_SIZE),
        middleware=FCMiddleware(hidden_sizes=(32, 32), activation="relu"),
        heads=(GaussianPolicyHead(action_dim=ACTION_DIM, initial_log_std=-0.5), VHead())),
    # (the orthogonal init of 10^5 conv weights costs more than these tests' steps: left out)
    "DQN on images: CNN embedder": NetworkSpec(
        embedder=ImageEmbedder(shape=(36, 36, 1)), middleware=FCMiddleware(hidden_sizes=(16,)),
        heads=(QHead(n_actions=N_ACTIONS),), ortho_init=False),
    "PPO on images: separate CNN towers": NetworkSpec(
        embedder=ImageEmbedder(shape=(36, 36, 1)), middleware=FCMiddleware(hidden_sizes=(16,)),
        heads=PPO_DISCRETE, separate_towers=True, ortho_init=False),
}
KINDS = {
    **TRAINED_ON_BATCHES,
    SAC_CRITIC: action_value_spec(
        ObservationSpace(shape=(OBSERVATION_SIZE,), dtype="float32"),
        ActionValueHead(action_dim=ACTION_DIM),
        middleware=FCMiddleware(hidden_sizes=(16, 16), activation="relu")),
    SAC_ACTOR: NetworkSpec(
        embedder=VectorEmbedder(input_size=OBSERVATION_SIZE),
        middleware=FCMiddleware(hidden_sizes=(16, 16), activation="relu"),
        heads=(SquashedGaussianPolicyHead(action_dim=ACTION_DIM),), ortho_init=False),
}

# max_grad_norm as a multiple of the gradient's norm; None: clipping off (max_grad_norm 0)
REGIMES: dict[str, float | None] = {
    "norm far below max_grad_norm": 4.0,
    "norm just below max_grad_norm": 1.05,
    "norm just above max_grad_norm": 0.9,
    "norm far above max_grad_norm": 0.1,
    "clipping off": None,
}


def _optimizer(max_grad_norm: float) -> OptimizerSpec:
    return OptimizerSpec(learning_rate=LEARNING_RATE, adam_epsilon=ADAM_EPSILON,
                         max_grad_norm=max_grad_norm)


def _build(kind: str, max_grad_norm: float) -> TorchNetwork:
    backend = make_backend("torch")
    backend.seed(0)
    network = backend.build(KINDS[kind], optimizer=_optimizer(max_grad_norm))
    assert isinstance(network, TorchNetwork)
    return network


@dataclass
class _ClipSpy:
    """Copies of the network's flat gradient buffer when the library measures its norm (before
    the clip) and when Adam is about to consume it (after the clip), one per step."""

    network: TorchNetwork
    before: list[torch.Tensor] = field(default_factory=list)
    after: list[torch.Tensor] = field(default_factory=list)


def _spy(network: TorchNetwork) -> _ClipSpy:
    spy = _ClipSpy(network)
    grad_norm, adam_step = network._grad_norm, network._adam_step

    def measured_grad_norm() -> torch.Tensor:
        spy.before.append(network._flat_grad.detach().clone())
        return grad_norm()

    def observed_adam_step() -> None:
        spy.after.append(network._flat_grad.detach().clone())
        adam_step()

    network._grad_norm = measured_grad_norm  # type: ignore[method-assign]
    network._adam_step = observed_adam_step  # type: ignore[method-assign]
    return spy


def _reference_clip(network: TorchNetwork, flat_grad: torch.Tensor,
                    max_norm: float) -> tuple[torch.Tensor, float]:
    """``clip_grad_norm_(parameters, max_norm)`` on copies of the network's parameters holding
    ``flat_grad``: the clipped gradients, flattened in parameter order, and the total norm."""
    copies, offset = [], 0
    for parameter in network.model.parameters():
        copy = parameter.detach().clone().requires_grad_()
        copy.grad = flat_grad[offset:offset + parameter.numel()].view_as(parameter).clone()
        copies.append(copy)
        offset += parameter.numel()
    assert offset == flat_grad.numel()
    total = torch.nn.utils.clip_grad_norm_(copies, max_norm)
    clipped = torch.cat([copy.grad.flatten() for copy in copies if copy.grad is not None])
    return clipped, float(total)


def _threshold(regime: str, norm: float) -> tuple[float, float]:
    """(the spec's max_grad_norm, clip_grad_norm_'s max_norm) for a gradient of this norm."""
    ratio = REGIMES[regime]
    if ratio is None:
        return 0.0, math.inf  # clip_grad_norm_ leaves any gradient alone below an infinite max
    return ratio * norm, ratio * norm


def _assert_one_step_clips_like_torch(take_step: Callable[[float], tuple[_ClipSpy, float]],
                                      gradient: torch.Tensor, regime: str) -> None:
    """``take_step(max_grad_norm)`` builds afresh, spies, takes one step that produces
    ``gradient`` (flat, before the clip) and returns the spy and the reported grad norm; with
    max_grad_norm put where ``regime`` says, the gradient Adam receives must be
    ``clip_grad_norm_``'s and the reported norm its total norm."""
    norm = float(torch.linalg.vector_norm(gradient.double()))
    assert norm > 0
    max_grad_norm, max_norm = _threshold(regime, norm)
    spy, reported_norm = take_step(max_grad_norm)
    (before,), (after,) = spy.before, spy.after
    # the expected gradient (a rerun may round differently if torch's thread count changed)
    torch.testing.assert_close(before, gradient, rtol=1e-5, atol=1e-9)
    expected, total_norm = _reference_clip(spy.network, before, max_norm)
    torch.testing.assert_close(after, expected, rtol=NORM_RTOL, atol=1e-12)
    assert reported_norm == pytest.approx(total_norm, rel=NORM_RTOL)
    ratio = REGIMES[regime]
    if ratio is not None and ratio < 1:  # the clip engaged: the gradient's norm is now max_norm
        clipped_norm = float(torch.linalg.vector_norm(after.double()))
        assert clipped_norm == pytest.approx(max_norm, rel=NORM_RTOL)


def _batch(spec: NetworkSpec) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    embedder = spec.embedder
    if isinstance(embedder, ImageEmbedder):  # CNNs are slow on a loaded CPU: a small batch
        size = 4
        observations = rng.integers(0, 256, (size, *embedder.shape), dtype=np.uint8)
    else:
        size = 24
        observations = rng.normal(size=(size, OBSERVATION_SIZE)).astype(np.float32)
    continuous = isinstance(spec.heads[0], GaussianPolicyHead)
    return {
        B.OBSERVATIONS: observations,
        B.ACTIONS: (rng.normal(size=(size, ACTION_DIM)).astype(np.float32) if continuous
                    else rng.integers(0, N_ACTIONS, size)),
        B.LOG_PROBS: rng.normal(-1.0, 0.3, size).astype(np.float32),
        B.ADVANTAGES: rng.normal(size=size).astype(np.float32),
        B.RETURNS: rng.normal(size=size).astype(np.float32),
        B.OLD_VALUES: rng.normal(size=size).astype(np.float32),
        B.TARGETS: rng.normal(size=size).astype(np.float32),
    }


@functools.cache
def _shapes(kind: str) -> tuple[tuple[str, tuple[int, ...]], ...]:
    return tuple((name, tuple(p.shape)) for name, p in _build(kind, 0.0).model.named_parameters())


def _random_gradients(kind: str, rng: np.random.Generator, norm: float) -> dict[str, np.ndarray]:
    """Normal noise for every parameter at scales spread over three decades (so a per-parameter
    clip would differ from the global one), rescaled to a global L2 norm of ``norm``."""
    gradients = {name: rng.normal(size=shape) * 10.0 ** rng.uniform(-3.0, 0.0)
                 for name, shape in _shapes(kind)}
    total = math.sqrt(sum(float(np.sum(g ** 2)) for g in gradients.values()))
    return {name: (g * (norm / total)).astype(np.float32) for name, g in gradients.items()}


def _train_on_batch(kind: str, max_grad_norm: float) -> tuple[_ClipSpy, float]:
    spy = _spy(_build(kind, max_grad_norm))
    metrics = spy.network.train_on_batch(_batch(KINDS[kind]))
    return spy, metrics["optim/grad_norm"]


@functools.cache
def _gradient_of_train_on_batch(kind: str) -> torch.Tensor:
    """The gradient one ``train_on_batch`` produces (seen with clipping off), to set the
    threshold against; every run builds the same network and trains it on the same batch."""
    spy, _ = _train_on_batch(kind, 0.0)
    return spy.before[0]


@pytest.mark.parametrize("regime", list(REGIMES))
@pytest.mark.parametrize("kind", list(TRAINED_ON_BATCHES))
def test_train_on_batch_clips_the_gradient_as_clip_grad_norm_does(kind: str,
                                                                  regime: str) -> None:
    _assert_one_step_clips_like_torch(functools.partial(_train_on_batch, kind),
                                      _gradient_of_train_on_batch(kind), regime)


@pytest.mark.parametrize("regime", list(REGIMES))
@pytest.mark.parametrize("kind", list(KINDS))
def test_apply_gradients_clips_the_gradient_as_clip_grad_norm_does(kind: str,
                                                                   regime: str) -> None:
    gradients = _random_gradients(kind, np.random.default_rng(2), norm=3.0)
    # the flat buffer holds the parameters' gradients in parameter order
    flat = torch.cat([torch.from_numpy(gradients[name]).flatten() for name, _ in _shapes(kind)])

    def take_step(max_grad_norm: float) -> tuple[_ClipSpy, float]:
        spy = _spy(_build(kind, max_grad_norm))
        metrics = spy.network.apply_gradients(gradients)
        return spy, metrics["optim/grad_norm"]

    _assert_one_step_clips_like_torch(take_step, flat, regime)


def _soft_actor_critic_step(step: str, max_grad_norm: float) -> tuple[_ClipSpy, float]:
    """One SAC critic or actor step on a fresh update (the same weights, batch and policy noise
    every time), spying on the network that step trains."""
    rng = np.random.default_rng(3)
    size = 24
    batch = {B.OBSERVATIONS: rng.normal(size=(size, OBSERVATION_SIZE)).astype(np.float32),
             B.ACTIONS: rng.uniform(-1, 1, size=(size, ACTION_DIM)).astype(np.float32),
             B.REWARDS: rng.normal(size=size).astype(np.float32),
             B.NEXT_OBSERVATIONS: rng.normal(size=(size, OBSERVATION_SIZE)).astype(np.float32),
             B.TERMINATED: (rng.random(size) < 0.2).astype(np.float32)}
    backend = make_backend("torch")
    backend.seed(0)
    optimizer = _optimizer(max_grad_norm)
    actor = backend.build(KINDS[SAC_ACTOR], optimizer=optimizer)
    critic = backend.build(KINDS[SAC_CRITIC], optimizer=optimizer)
    target = backend.build(KINDS[SAC_CRITIC])
    critic.copy_to(target)
    update = backend.soft_actor_critic(  # type: ignore[attr-defined]
        actor=actor, critic=critic, target=target, optimizer=optimizer,
        temperature=TemperatureLoss(target_entropy=-float(ACTION_DIM)))
    if step == "critic":
        spy = _spy(critic)
        return spy, update.critic_step(batch, discount=0.99)["optim/critic_grad_norm"]
    spy = _spy(actor)
    return spy, update.actor_step(batch)["optim/policy_grad_norm"]


@functools.cache
def _gradient_of_soft_actor_critic_step(step: str) -> torch.Tensor:
    spy, _ = _soft_actor_critic_step(step, 0.0)
    return spy.before[0]


@pytest.mark.parametrize("regime", list(REGIMES))
@pytest.mark.parametrize("step", ["critic", "actor"])
def test_soft_actor_critic_steps_clip_their_network_gradient_as_clip_grad_norm_does(
        step: str, regime: str) -> None:
    _assert_one_step_clips_like_torch(functools.partial(_soft_actor_critic_step, step),
                                      _gradient_of_soft_actor_critic_step(step), regime)


@pytest.mark.parametrize("max_grad_norm", [0.5, 0.0], ids=["max_grad_norm 0.5", "clipping off"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_adam_steps_match_torch_adam_on_clip_grad_norm_gradients(kind: str,
                                                                 max_grad_norm: float) -> None:
    """Adam barely sees a gradient's overall scale on one step, but over steps whose norms
    alternate below and far above max_grad_norm it sees every wrong clip factor."""
    network = _build(kind, max_grad_norm)
    copies = [p.detach().clone().requires_grad_() for p in network.model.parameters()]
    reference = torch.optim.Adam(copies, lr=LEARNING_RATE, eps=ADAM_EPSILON)
    max_norm = max_grad_norm or math.inf
    rng = np.random.default_rng(4)
    for norm in (0.1, 2.0, 0.4, 25.0, 0.03, 6.0):
        gradients = _random_gradients(kind, rng, norm)
        metrics = network.apply_gradients(gradients)
        for (name, _), copy in zip(network.model.named_parameters(), copies, strict=True):
            copy.grad = torch.from_numpy(gradients[name]).clone()
        total_norm = float(torch.nn.utils.clip_grad_norm_(copies, max_norm))
        reference.step()
        assert metrics["optim/grad_norm"] == pytest.approx(total_norm, rel=NORM_RTOL)
    # a wrong clip on any step leaves its mark in the weights and in Adam's moments for good
    for (name, parameter), copy in zip(network.model.named_parameters(), copies, strict=True):
        torch.testing.assert_close(parameter.detach(), copy.detach(), rtol=1e-5, atol=1e-7,
                                   msg=lambda text, n=name: f"{n}: {text}")
