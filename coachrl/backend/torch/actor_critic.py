"""Updates that cross networks: Soft Actor-Critic's critic and actor steps (Haarnoja et al. 2018),
and the deterministic actor-critics' (DDPG, Lillicrap et al. 2016; TD3, Fujimoto et al. 2018).

    update = learner.soft_actor_critic(actor=actor, critic=critic, target=target,
                                       temperature=TemperatureLoss(target_entropy=-1.0),
                                       optimizer=OptimizerSpec(learning_rate=1e-3))
    metrics = update.critic_step(batch, discount=0.99)  # soft Bellman regression, both critics
    metrics |= update.actor_step(batch)                 # policy and temperature, one sample
    critic.copy_to(target, tau=0.005)                   # Polyak-averaged target critics
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from coachrl.backend import State
from coachrl.backend.torch.adam import FlatAdam
from coachrl.backend.torch.blocks import EnsembleModel
from coachrl.backend.torch.losses import (
    DeterministicPolicyObjective,
    SoftPolicyObjective,
    SoftQRegression,
    TemperatureObjective,
    squashed_gaussian_sample,
)
from coachrl.backend.torch.network import TorchNetwork, to_tensor
from coachrl.core import batch as B
from coachrl.networks.heads import Distribution
from coachrl.networks.spec import OptimizerSpec, TemperatureLoss


def batch_tensors(batch: dict[str, NDArray], keys: tuple[str, ...],
                  device: torch.device) -> list[Any]:
    """The batch's ``keys`` as tensors (Dict observations as a dict of them)."""
    return [to_tensor(np.asarray(batch[key]), device) for key in keys]


def joint(observations: Any, actions: torch.Tensor) -> torch.Tensor:
    """A Q(s, a) critic's input [B, |s| + |a|]: the observation with the action appended; a
    Dict observation's fields flattened in the record's order first (``networks.spec.
    action_value_spec`` sizes it, ``core.spaces.flat_features`` is its numpy form)."""
    if isinstance(observations, dict):
        return torch.cat([*(value.reshape(len(value), -1).to(actions.dtype)
                            for value in observations.values()), actions], 1)
    return torch.cat((observations, actions), 1)


class Temperature:
    """SAC's entropy temperature alpha, learnt as log alpha with its own Adam."""

    def __init__(self, spec: TemperatureLoss, optimizer: OptimizerSpec,
                 device: torch.device) -> None:
        self.objective = TemperatureObjective(spec)
        self.log_value = torch.tensor(math.log(spec.initial_temperature), device=device,
                                      requires_grad=True)
        self.adam = FlatAdam([self.log_value], self.log_value,
                             learning_rate=optimizer.learning_rate, eps=optimizer.adam_epsilon)

    def step(self) -> None:
        """Adam's step on log alpha, as ``TorchNetwork``'s: the fused kernel called directly,
        the same arithmetic without the 0.2 ms of ``torch.optim`` bookkeeping per call."""
        if self.log_value.grad is not None:
            self.adam.step(self.log_value.grad)

    def value(self) -> torch.Tensor:
        """alpha, detached: the losses of one update use the value from before its step."""
        return self.log_value.detach().exp()

    def state_dict(self) -> State:
        opt = self.adam.state_dict()
        return {"log_temperature": self.log_value.detach().cpu().numpy().copy(),
                "optimizer": {"state": {str(k): {n: t.detach().cpu().numpy().copy()
                                                 for n, t in v.items()}
                                        for k, v in opt["state"].items()},
                              "lr": float(opt["param_groups"][0]["lr"])}}

    def load_state_dict(self, state: State) -> None:
        with torch.no_grad():
            self.log_value.copy_(torch.as_tensor(np.asarray(state["log_temperature"])))
        opt = self.adam.state_dict()
        opt["state"] = state["optimizer"]["state"]
        opt["param_groups"][0]["lr"] = state["optimizer"]["lr"]
        self.adam.load_state_dict(opt)


class SoftActorCritic:
    """SAC's gradient step over an actor (squashed Gaussian head), a fused twin critic
    (``ActionValueHead``), its target copy and the temperature, in SB3's order: critics first,
    then the policy against the updated critics with the temperature of before its own step."""

    def __init__(self, *, actor: TorchNetwork, critic: TorchNetwork, target: TorchNetwork,
                 temperature: TemperatureLoss, optimizer: OptimizerSpec) -> None:
        (policy_head,), (q_head,) = actor.spec.heads, critic.spec.heads
        if policy_head.distribution is not Distribution.SQUASHED_GAUSSIAN:
            raise ValueError(f"the actor's head must output a squashed Gaussian "
                             f"(SquashedGaussianPolicyHead), not {type(policy_head).__name__}")
        if not q_head.ensemble_members():
            raise ValueError(f"the critic's head must be an ensemble of Q(s, a) critics "
                             f"(ActionValueHead), not {type(q_head).__name__}")
        self.actor, self.critic, self.target = actor, critic, target
        self.policy_head, self.q_head = policy_head, q_head
        self.critic_loss = SoftQRegression(q_head)
        self.temperature = Temperature(temperature, optimizer, actor.device)
        self._actor_parameters = [*actor.model.parameters(), self.temperature.log_value]

    def _tensors(self, batch: dict[str, NDArray], keys: tuple[str, ...]) -> list[Any]:
        return batch_tensors(batch, keys, self.actor.device)

    def _policy(self, observations: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Actions a ~ pi(.|s) in [-1, 1] [B, D] and their log-probabilities [B]."""
        out = self.actor.model(observations)
        mean, log_std = (out[name] for name in self.policy_head.distribution_outputs())
        return squashed_gaussian_sample(mean, log_std, torch.randn_like(mean))

    def critic_step(self, batch: dict[str, NDArray], *, discount: float) -> dict[str, float]:
        """Both critics regress onto r + discount (1 - terminated) (min_i Q_target,i(s', a')
        - alpha log pi(a'|s')), a' ~ pi(.|s'): one forward and one backward for the pair.
        n-step transitions carry their own bootstrap discounts (``discounts``), used instead."""
        observations, actions, rewards, next_observations, terminated = self._tensors(
            batch, (B.OBSERVATIONS, B.ACTIONS, B.REWARDS, B.NEXT_OBSERVATIONS, B.TERMINATED))
        with torch.no_grad():
            next_actions, next_log_probs = self._policy(next_observations)
            next_q = self.target.model(joint(next_observations, next_actions))
            soft_value = next_q[self.q_head.name].min(0).values - (
                self.temperature.value() * next_log_probs)  # [batch]
            bootstrap = (self._tensors(batch, (B.DISCOUNTS,))[0] if B.DISCOUNTS in batch
                         else discount)
            targets = rewards + bootstrap * (1.0 - terminated) * soft_value
        out = self.critic.model(joint(observations, actions))
        loss, extra = self.critic_loss(out, {B.TARGETS: targets})
        return self.critic.minimize(loss, {"critic/q_mean": extra["q_mean"]},
                                    loss_key="loss/critic", norm_key="optim/critic_grad_norm")

    def actor_step(self, batch: dict[str, NDArray]) -> dict[str, float]:
        """Policy loss mean(alpha log pi(a|s) - min_i Q_i(s, a)) through the critics (whose
        weights it leaves alone), and the temperature loss on the same sample's log pi."""
        (observations,) = self._tensors(batch, (B.OBSERVATIONS,))
        actions, log_probs = self._policy(observations)
        temperature = self.temperature.value()
        q = self.critic.model(joint(observations, actions))[self.q_head.name]
        policy_loss = SoftPolicyObjective.loss(log_probs, q, temperature)
        temperature_loss = self.temperature.objective(self.temperature.log_value, log_probs)
        # gradients for the actor and log alpha only: the critics' weight gradients are skipped
        metrics = self.actor.minimize(
            policy_loss + temperature_loss,
            {"loss/policy": policy_loss.detach(), "loss/temperature": temperature_loss.detach(),
             "sac/alpha": temperature, "sac/entropy": -log_probs.detach().mean()},
            also=(self.temperature.log_value,), loss_key=None,
            norm_key="optim/policy_grad_norm")
        if "loss/nonfinite" not in metrics:
            self.temperature.step()
        return metrics

    def set_learning_rate(self, learning_rate: float) -> None:
        self.temperature.adam.set_learning_rate(learning_rate)

    def state_dict(self) -> State:
        return {"temperature": self.temperature.state_dict()}

    def load_state_dict(self, state: State) -> None:
        self.temperature.load_state_dict(state["temperature"])


class DeterministicActorCritic:
    """DDPG's and TD3's gradient steps over an actor (``DeterministicPolicyHead``), an ensemble
    of Q(s, a) critics (``ActionValueHead``; one for DDPG, twins for TD3) and target copies of
    both. The critics regress onto r + discount (1 - terminated) min_i Q_target,i(s', a') with
    a' = clip(mu_target(s') + clip(N(0, target_noise^2), +-target_noise_clip), -1, 1) (TD3's
    target smoothing; no noise for DDPG); the actor ascends Q_1(s, mu(s))."""

    def __init__(self, *, actor: TorchNetwork, critic: TorchNetwork, target_actor: TorchNetwork,
                 target_critic: TorchNetwork, target_noise: float,
                 target_noise_clip: float) -> None:
        (policy_head,), (q_head,) = actor.spec.heads, critic.spec.heads
        if policy_head.distribution is not Distribution.DETERMINISTIC:
            raise ValueError(f"the actor's head must be deterministic (DeterministicPolicyHead), "
                             f"not {type(policy_head).__name__}")
        if not q_head.ensemble_members():
            raise ValueError(f"the critic's head must be an ensemble of Q(s, a) critics "
                             f"(ActionValueHead), not {type(q_head).__name__}")
        self.actor, self.critic = actor, critic
        self.target_actor, self.target_critic = target_actor, target_critic
        self.policy_head, self.q_head = policy_head, q_head
        self.critic_loss = SoftQRegression(q_head)
        self.target_noise, self.target_noise_clip = target_noise, target_noise_clip

    def _tensors(self, batch: dict[str, NDArray], keys: tuple[str, ...]) -> list[Any]:
        return batch_tensors(batch, keys, self.actor.device)

    def critic_step(self, batch: dict[str, NDArray], *, discount: float) -> dict[str, float]:
        observations, actions, rewards, next_observations, terminated = self._tensors(
            batch, (B.OBSERVATIONS, B.ACTIONS, B.REWARDS, B.NEXT_OBSERVATIONS, B.TERMINATED))
        with torch.no_grad():
            next_actions = self.target_actor.model(next_observations)[self.policy_head.name]
            if self.target_noise > 0:
                noise = (torch.randn_like(next_actions) * self.target_noise).clamp(
                    -self.target_noise_clip, self.target_noise_clip)
                next_actions = (next_actions + noise).clamp(-1.0, 1.0)
            next_q = self.target_critic.model(joint(next_observations, next_actions))
            bootstrap = (self._tensors(batch, (B.DISCOUNTS,))[0] if B.DISCOUNTS in batch
                         else discount)
            targets = rewards + bootstrap * (1.0 - terminated) * (
                next_q[self.q_head.name].min(0).values)
        out = self.critic.model(joint(observations, actions))
        loss, extra = self.critic_loss(out, {B.TARGETS: targets})
        return self.critic.minimize(loss, {"critic/q_mean": extra["q_mean"]},
                                    loss_key="loss/critic", norm_key="optim/critic_grad_norm")

    def actor_step(self, batch: dict[str, NDArray]) -> dict[str, float]:
        """-mean Q_1(s, mu(s)) through the first critic, whose weights it leaves alone."""
        (observations,) = self._tensors(batch, (B.OBSERVATIONS,))
        actions = self.actor.model(observations)[self.policy_head.name]
        critics = self.critic.model
        assert isinstance(critics, EnsembleModel)  # the constructor checked the head
        q = critics.first(joint(observations, actions))  # Q_1 [B]
        policy_loss = DeterministicPolicyObjective.loss(q)
        return self.actor.minimize(policy_loss, {"loss/policy": policy_loss.detach()},
                                   loss_key=None, norm_key="optim/policy_grad_norm")

    def set_learning_rate(self, learning_rate: float) -> None:
        """The actor's and critics' optimisers follow ``Agent.apply_learning_rate``."""

    def state_dict(self) -> State:
        return {}

    def load_state_dict(self, state: State) -> None:
        del state
