"""Every update of the torch backend taken both ways: with torch's private fast calls
(``torch._fused_adam_``, ``torch._foreach_*``, aten backward ops) and with the public calls
that stand in for them, from the same start on the same batches. The results must agree, and a
private call that disappears or changes its signature must fall back by itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import torch

from coachrl.backend import make_backend
from coachrl.backend.torch import private
from coachrl.core import batch as B
from coachrl.core.spaces import ObservationSpace
from coachrl.networks.spec import (
    ActionValueHead,
    ClippedSurrogateLoss,
    DiscretePolicyHead,
    FCMiddleware,
    NetworkSpec,
    OptimizerSpec,
    QHead,
    SquashedGaussianPolicyHead,
    TemperatureLoss,
    VectorEmbedder,
    VHead,
    action_value_spec,
)

OPTIMIZER = OptimizerSpec(learning_rate=3e-3, max_grad_norm=0.5)
N, OBS = 64, 4


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    yield
    private.use_private(True)
    private.reprobe()


def _spec(heads: tuple, activation: str) -> NetworkSpec:
    return NetworkSpec(embedder=VectorEmbedder(input_size=OBS),
                       middleware=FCMiddleware(hidden_sizes=(32, 32), activation=activation),
                       heads=heads)


def _batches(steps: int, kind: str) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    out = []
    for _ in range(steps):
        batch = {B.OBSERVATIONS: rng.normal(size=(N, OBS)).astype(np.float32),
                 B.ACTIONS: rng.integers(0, 3, N)}
        if kind == "q":
            batch[B.TARGETS] = rng.normal(size=N).astype(np.float32)
        else:
            batch |= {B.ADVANTAGES: rng.normal(size=N).astype(np.float32),
                      B.LOG_PROBS: np.full(N, -1.1, np.float32),
                      B.RETURNS: rng.normal(size=N).astype(np.float32),
                      B.OLD_VALUES: rng.normal(size=N).astype(np.float32)}
        out.append(batch)
    return out


def _dqn_updates(steps: int) -> dict[str, Any]:
    backend = make_backend("torch")
    backend.seed(0)
    spec = _spec((QHead(n_actions=3),), "relu")
    online, target = backend.build(spec, optimizer=OPTIMIZER), backend.build(spec)
    metrics = []
    for index, batch in enumerate(_batches(steps, "q")):
        metrics.append(online.train_on_batch(batch))
        online.copy_to(target, tau=1.0 if index % 5 == 0 else 0.1)  # hard and soft copies
    return {"online": online.get_weights(), "target": target.get_weights(), "metrics": metrics}


def _ppo_updates(steps: int) -> dict[str, Any]:
    backend = make_backend("torch")
    backend.seed(0)
    spec = _spec((DiscretePolicyHead(n_actions=3, loss=ClippedSurrogateLoss(entropy_weight=0.01)),
                  VHead()), "tanh")
    network = backend.build(spec, optimizer=OPTIMIZER)
    worker = backend.build(spec, optimizer=OPTIMIZER)
    metrics = []
    for batch in _batches(steps, "policy"):
        metrics.append(network.train_on_batch(batch))
        worker.set_weights(network.get_weights())  # A3C: gradients computed elsewhere
        metrics.append(network.apply_gradients(worker.compute_gradients(batch)))
    return {"network": network.get_weights(), "metrics": metrics}


def _sac_updates(steps: int) -> dict[str, Any]:
    backend = make_backend("torch")
    backend.seed(0)
    observation = ObservationSpace(shape=(OBS,), dtype="float32")
    actor = backend.build(_spec((SquashedGaussianPolicyHead(action_dim=2),), "relu"),
                          optimizer=OPTIMIZER)
    critic_spec = action_value_spec(observation, ActionValueHead(action_dim=2),
                                    middleware=FCMiddleware(hidden_sizes=(32, 32)))
    critic = backend.build(critic_spec, optimizer=OPTIMIZER)
    target = backend.build(critic_spec)
    critic.copy_to(target)
    update = backend.soft_actor_critic(actor=actor, critic=critic, target=target,  # type: ignore
                                       temperature=TemperatureLoss(target_entropy=-2.0),
                                       optimizer=OPTIMIZER)
    rng = np.random.default_rng(1)
    metrics = []
    for _ in range(steps):
        batch = {B.OBSERVATIONS: rng.normal(size=(N, OBS)).astype(np.float32),
                 B.ACTIONS: rng.uniform(-1, 1, (N, 2)).astype(np.float32),
                 B.REWARDS: rng.normal(size=N).astype(np.float32),
                 B.NEXT_OBSERVATIONS: rng.normal(size=(N, OBS)).astype(np.float32),
                 B.TERMINATED: (rng.random(N) < 0.1).astype(np.float32)}
        metrics.append(update.critic_step(batch, discount=0.99))
        metrics.append(update.actor_step(batch))
        critic.copy_to(target, tau=0.005)
    return {"actor": actor.get_weights(), "critic": critic.get_weights(),
            "target": target.get_weights(), "update": update.state_dict(), "metrics": metrics}


UPDATES: dict[str, Callable[[int], dict[str, Any]]] = {
    "dqn": _dqn_updates, "ppo_and_a3c": _ppo_updates, "sac": _sac_updates}


def _assert_close(a: Any, b: Any, path: str = "") -> None:
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            _assert_close(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, list):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_close(x, y, f"{path}/{index}")
    else:
        np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                                   rtol=2e-5, atol=1e-6, err_msg=path)


@pytest.mark.parametrize("update", sorted(UPDATES))
def test_the_public_path_gives_the_private_paths_results(update: str) -> None:
    private.use_private(True)
    assert all(private.available(n) for n in ("fused_adam", "foreach", "aten_backward"))
    fast = UPDATES[update](15)
    private.use_private(False)
    assert not any(private.available(n) for n in ("fused_adam", "foreach", "aten_backward"))
    public = UPDATES[update](15)
    _assert_close(fast, public)


def test_a_private_call_that_changed_its_signature_falls_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    reference = _dqn_updates(5)

    def changed(*args: Any, **kwargs: Any) -> None:
        raise TypeError("_fused_adam_() got an unexpected keyword argument 'beta1'")

    monkeypatch.setattr(torch, "_fused_adam_", changed)
    monkeypatch.delattr(torch, "_foreach_lerp_")
    private.reprobe()
    assert not private.available("fused_adam") and not private.available("foreach")
    _assert_close(_dqn_updates(5), reference)


def test_private_calls_of_torch_sit_only_behind_the_checks() -> None:
    """``torch._name`` and ``torch.ops`` appear in private.py alone, and no module of the
    backend reaches into ``TorchNetwork``'s private members (its updates are public methods)."""
    import ast
    from pathlib import Path

    from coachrl.backend.torch.network import TorchNetwork

    folder = Path(private.__file__).parent
    network_private = {name for name in vars(TorchNetwork) if name.startswith("_")
                       and not name.startswith("__")}
    offenders = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Attribute):
                continue
            base = node.value.id if isinstance(node.value, ast.Name) else ""
            if path.name != "private.py" and base == "torch" and (
                    node.attr.startswith("_") or node.attr == "ops"):
                offenders.append(f"{path.name}:{node.lineno} torch.{node.attr}")
            if (path.name != "network.py" and node.attr in network_private
                    and base not in ("self", "cls")):
                offenders.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert not offenders, offenders
