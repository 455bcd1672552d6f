"""SAC's blocks: the fused critic ensemble, the squashed Gaussian, the temperature, the update."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from coachrl.backend import ActorCriticBackend, make_backend
from coachrl.backend.torch.blocks import EnsembleLinear, EnsembleModel
from coachrl.backend.torch.losses import (
    SoftPolicyObjective,
    SoftQRegression,
    TemperatureObjective,
    squashed_gaussian_sample,
)
from coachrl.core import batch as B
from coachrl.core.spaces import ObservationSpace
from coachrl.networks.spec import (
    ActionValueHead,
    FCMiddleware,
    NetworkSpec,
    OptimizerSpec,
    SquashedGaussianPolicyHead,
    TemperatureLoss,
    VectorEmbedder,
    action_value_spec,
)

OBSERVATION, ACTION_DIM = ObservationSpace(shape=(3,), dtype="float32"), 2


def _critic_spec(critics: int = 2, hidden: tuple[int, ...] = (16, 8)) -> NetworkSpec:
    return action_value_spec(OBSERVATION, ActionValueHead(action_dim=ACTION_DIM, critics=critics),
                             middleware=FCMiddleware(hidden_sizes=hidden, activation="relu"))


def _separate_critics(model: EnsembleModel) -> list[nn.Sequential]:
    """Plain nn.Linear MLPs holding each ensemble member's weights."""
    linears = [m for m in model.layers if isinstance(m, EnsembleLinear)]
    critics = []
    for member in range(model.head.critics):
        layers: list[nn.Module] = []
        for index, fused in enumerate(linears):
            linear = nn.Linear(fused.weight.shape[1], fused.weight.shape[2])
            with torch.no_grad():
                linear.weight.copy_(fused.weight[member].T)
                linear.bias.copy_(fused.bias[member, 0])
            layers += [linear] if index == len(linears) - 1 else [linear, nn.ReLU()]
        critics.append(nn.Sequential(*layers))
    return critics


def test_the_fused_twin_critic_equals_two_separate_critics_values_and_gradients() -> None:
    torch.manual_seed(0)
    model = EnsembleModel(_critic_spec())
    separate = _separate_critics(model)
    inputs = torch.randn(32, 3 + ACTION_DIM)
    targets = torch.randn(32)
    fused_q = model(inputs)["q"]  # [2, 32]
    assert fused_q.shape == (2, 32)
    for member, critic in enumerate(separate):
        torch.testing.assert_close(fused_q[member], critic(inputs).squeeze(-1), rtol=1e-6,
                                   atol=1e-6)
    # the summed loss of the pair: one backward gives each member its own critic's gradient
    (fused_q - targets).pow(2).mean(1).sum().backward()
    linears = [m for m in model.layers if isinstance(m, EnsembleLinear)]
    for member, critic in enumerate(separate):
        (critic(inputs).squeeze(-1) - targets).pow(2).mean().backward()
        plain = [m for m in critic if isinstance(m, nn.Linear)]
        for fused, linear in zip(linears, plain, strict=True):
            assert fused.weight.grad is not None and linear.weight.grad is not None
            torch.testing.assert_close(fused.weight.grad[member], linear.weight.grad.T,
                                       rtol=1e-5, atol=1e-6)


def test_the_first_member_alone_equals_the_ensembles_first_and_its_action_gradient() -> None:
    """TD3's actor reads Q_1 only: ``first`` computes that member alone, with the same value
    and the same gradient with respect to the action (what the actor's step follows)."""
    torch.manual_seed(0)
    model = EnsembleModel(_critic_spec())
    inputs = torch.randn(32, 3 + ACTION_DIM)
    alone, whole = inputs.clone().requires_grad_(), inputs.clone().requires_grad_()
    first = model.first(alone)
    torch.testing.assert_close(first, model(whole)["q"][0], rtol=1e-6, atol=1e-6)
    first.mean().backward()
    model(whole)["q"][0].mean().backward()
    assert alone.grad is not None and whole.grad is not None
    torch.testing.assert_close(alone.grad, whole.grad, rtol=1e-5, atol=1e-7)


def test_ensemble_members_start_different_and_with_nn_linear_scale() -> None:
    torch.manual_seed(0)
    layer = EnsembleLinear(2, 64, 32)
    assert not torch.equal(layer.weight[0], layer.weight[1])
    assert float(layer.weight.detach().abs().max()) <= 1 / math.sqrt(64)


def test_the_fused_critic_is_one_batched_matmul_per_layer() -> None:
    model = EnsembleModel(_critic_spec(critics=3))
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    assert [tuple(w.shape) for w in weights] == [(3, 5, 16), (3, 16, 8), (3, 8, 1)]


def test_squashed_gaussian_log_prob_equals_the_change_of_variables_computed_directly() -> None:
    generator = torch.Generator().manual_seed(1)
    mean = torch.randn(64, 3, generator=generator, dtype=torch.float64)
    log_std = torch.randn(64, 3, generator=generator, dtype=torch.float64) * 0.5
    noise = torch.randn(64, 3, generator=generator, dtype=torch.float64)
    actions, log_probs = squashed_gaussian_sample(mean, log_std, noise)
    u = mean + log_std.exp() * noise
    normal = torch.distributions.Normal(mean, log_std.exp())
    direct = (normal.log_prob(u) - torch.log(1 - torch.tanh(u) ** 2)).sum(-1)
    torch.testing.assert_close(actions, torch.tanh(u))
    torch.testing.assert_close(log_probs, direct, rtol=1e-10, atol=1e-10)


def test_squashed_gaussian_log_prob_stays_finite_where_tanh_saturates() -> None:
    mean = torch.tensor([[15.0, -30.0]])
    actions, log_probs = squashed_gaussian_sample(mean, torch.zeros(1, 2), torch.zeros(1, 2))
    assert torch.isfinite(log_probs).all()
    assert float(actions.abs().min()) == 1.0  # float32 tanh has saturated here
    # log(1 - tanh(u)^2) = log 4 - 2|u| - 2 softplus(-2|u|), about log 4 - 2|u| at large |u|
    expected = -math.log(2 * math.pi) - (4 * math.log(2) - 2 * 15 - 2 * 30)
    assert float(log_probs[0]) == pytest.approx(expected, rel=1e-5)


def test_soft_q_regression_is_half_the_sum_of_each_critics_mse() -> None:
    q = torch.tensor([[1.0, 2.0, 3.0], [0.0, 2.0, 5.0]])
    targets = torch.tensor([1.0, 1.0, 1.0])
    loss, metrics = SoftQRegression(ActionValueHead(action_dim=1))({"q": q}, {B.TARGETS: targets})
    expected = 0.5 * ((0 + 1 + 4) / 3 + (1 + 1 + 16) / 3)
    assert float(loss) == pytest.approx(expected)
    assert float(metrics["q_mean"]) == pytest.approx(13 / 6)


def test_soft_policy_loss_uses_the_smaller_critic() -> None:
    log_probs = torch.tensor([-1.0, 0.5])
    q = torch.tensor([[3.0, -2.0], [1.0, 4.0]])  # min over critics: [1, -2]
    loss = SoftPolicyObjective.loss(log_probs, q, torch.tensor(0.2))
    assert float(loss) == pytest.approx(((0.2 * -1 - 1) + (0.2 * 0.5 + 2)) / 2)


@pytest.mark.parametrize(("entropy", "alpha_moves"), [(-3.0, "up"), (1.0, "down")])
def test_temperature_rises_below_the_target_entropy_and_falls_above(
        entropy: float, alpha_moves: str) -> None:
    objective = TemperatureObjective(TemperatureLoss(target_entropy=-1.0))
    log_alpha = torch.tensor(0.0, requires_grad=True)
    log_probs = torch.full((8,), -entropy)  # entropy = -E[log pi]
    objective(log_alpha, log_probs).backward()
    assert log_alpha.grad is not None
    # d loss / d log alpha = -(log pi + target) = entropy - target; descent moves the other way
    assert float(log_alpha.grad) == pytest.approx(entropy - (-1.0))
    stepped = float(log_alpha.detach() - 0.1 * log_alpha.grad)
    assert (stepped > 0) == (alpha_moves == "up")


def test_polyak_update_moves_the_target_critics_by_tau() -> None:
    backend = make_backend("torch")
    backend.seed(0)
    critic = backend.build(_critic_spec(), optimizer=OptimizerSpec(learning_rate=1e-3))
    target = backend.build(_critic_spec())
    before_source, before_target = critic.get_weights(), target.get_weights()
    critic.copy_to(target, tau=0.005)
    after = target.get_weights()
    for key, value in after.items():
        np.testing.assert_allclose(
            value, 0.005 * before_source[key] + 0.995 * before_target[key], rtol=1e-6,
            atol=1e-7, err_msg=key)
    assert set(after) == {"layers.0.weight", "layers.0.bias", "layers.2.weight",
                          "layers.2.bias", "layers.4.weight", "layers.4.bias"}


def _update(seed: int = 0):
    backend = make_backend("torch")
    assert isinstance(backend, ActorCriticBackend)
    backend.seed(seed)
    middleware = FCMiddleware(hidden_sizes=(16, 16), activation="relu")
    actor_spec = NetworkSpec(embedder=VectorEmbedder(input_size=3), middleware=middleware,
                             heads=(SquashedGaussianPolicyHead(action_dim=ACTION_DIM),),
                             ortho_init=False)
    optimizer = OptimizerSpec(learning_rate=1e-2, adam_epsilon=1e-8)
    actor = backend.build(actor_spec, optimizer=optimizer)
    critic = backend.build(_critic_spec(), optimizer=optimizer)
    target = backend.build(_critic_spec())
    critic.copy_to(target)
    update = backend.soft_actor_critic(
        actor=actor, critic=critic, target=target,
        temperature=TemperatureLoss(target_entropy=-float(ACTION_DIM)), optimizer=optimizer)
    return update, actor, critic, target


def _batch(size: int = 32) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {B.OBSERVATIONS: rng.normal(size=(size, 3)).astype(np.float32),
            B.ACTIONS: rng.uniform(-1, 1, size=(size, ACTION_DIM)).astype(np.float32),
            B.REWARDS: rng.normal(size=size).astype(np.float32),
            B.NEXT_OBSERVATIONS: rng.normal(size=(size, 3)).astype(np.float32),
            B.TERMINATED: (rng.random(size) < 0.2).astype(np.float32)}


def _changed(before: dict, after: dict) -> bool:
    return any(not np.array_equal(before[k], after[k]) for k in before)


def test_the_critic_step_moves_only_the_critics_and_the_actor_step_only_the_actor() -> None:
    update, actor, critic, target = _update()
    batch = _batch()
    weights = {name: net.get_weights() for name, net in
               (("actor", actor), ("critic", critic), ("target", target))}
    metrics = update.critic_step(batch, discount=0.99)
    assert {"loss/critic", "critic/q_mean", "optim/critic_grad_norm"} <= set(metrics)
    assert _changed(weights["critic"], critic.get_weights())
    assert not _changed(weights["actor"], actor.get_weights())
    assert not _changed(weights["target"], target.get_weights())
    critic_after = critic.get_weights()
    metrics = update.actor_step(batch)
    assert {"loss/policy", "loss/temperature", "sac/alpha", "sac/entropy"} <= set(metrics)
    assert metrics["sac/alpha"] == pytest.approx(1.0)  # the value before its first step
    assert _changed(weights["actor"], actor.get_weights())
    assert not _changed(critic_after, critic.get_weights())
    assert update.state_dict()["temperature"]["log_temperature"] != 0.0


def test_repeated_critic_steps_fit_a_fixed_soft_target() -> None:
    update, *_ = _update()
    batch = _batch()
    batch[B.TERMINATED] = np.ones_like(batch[B.TERMINATED])  # target = reward: no bootstrap
    losses = [update.critic_step(batch, discount=0.99)["loss/critic"] for _ in range(300)]
    assert losses[-1] < 0.05 * losses[0]


def test_state_dict_round_trip_gives_the_same_next_temperature_step() -> None:
    first, *_ = _update(seed=0)
    batch = _batch()
    for _ in range(3):
        first.critic_step(batch, discount=0.99)
        first.actor_step(batch)
    second, *_ = _update(seed=1)
    second.load_state_dict(first.state_dict())
    log_probs = torch.linspace(-3.0, 1.0, 16)
    for update in (first, second):
        temperature = update.temperature
        temperature.log_value.grad = None
        temperature.objective(temperature.log_value, log_probs).backward()
        temperature.step()
    assert float(second.temperature.value()) == float(first.temperature.value())
    assert float(first.temperature.value()) != 1.0


def test_a_squashed_gaussian_actor_alone_refuses_train_on_batch() -> None:
    _, actor, _, _ = _update()
    with pytest.raises(RuntimeError, match="needs the critic"):
        actor.train_on_batch({B.OBSERVATIONS: np.zeros((2, 3), np.float32)})


def test_the_actor_outputs_mean_and_clamped_log_std() -> None:
    _, actor, _, _ = _update()
    weights = actor.get_weights()
    weights["heads.policy.log_std.bias"] = np.full_like(weights["heads.policy.log_std.bias"], 50.0)
    actor.set_weights(weights)
    out = actor.predict(np.zeros((4, 3), np.float32))
    assert out["policy"].shape == (4, ACTION_DIM)
    np.testing.assert_array_equal(out["policy_log_std"], np.full((4, ACTION_DIM), 2.0))


def test_orthogonal_init_gives_each_ensemble_member_orthogonal_weights() -> None:
    spec = action_value_spec(OBSERVATION, ActionValueHead(action_dim=ACTION_DIM),
                             middleware=FCMiddleware(hidden_sizes=(16,), activation="relu"),
                             ortho_init=True)
    model = EnsembleModel(spec)
    first = next(m for m in model.layers if isinstance(m, EnsembleLinear))
    for member in first.weight.detach():  # [in 5, out 16]: orthonormal rows, scaled by sqrt(2)
        torch.testing.assert_close(member @ member.T, 2.0 * torch.eye(5), rtol=1e-5, atol=1e-5)
    assert not torch.equal(first.weight[0], first.weight[1])
    assert float(first.bias.detach().abs().max()) == 0.0


def test_an_action_value_critic_takes_vectors_or_a_dict_of_them_not_images() -> None:
    image = ObservationSpace(shape=(84, 84, 4), dtype="uint8")
    with pytest.raises(ValueError, match="vector observations, or Dict ones of vectors"):
        action_value_spec(image, ActionValueHead(action_dim=1),
                          middleware=FCMiddleware(hidden_sizes=(8,)))
    fields = (("observation", ObservationSpace(shape=(10,), dtype="float32")),
              ("desired_goal", ObservationSpace(shape=(3,), dtype="float32")))
    goals = ObservationSpace(shape=(), dtype=np.dtype([(k, "f4", s.shape) for k, s in fields]),
                             fields=fields)
    spec = action_value_spec(goals, ActionValueHead(action_dim=2),
                             middleware=FCMiddleware(hidden_sizes=(8,)))
    assert spec.embedder == VectorEmbedder(input_size=10 + 3 + 2)
