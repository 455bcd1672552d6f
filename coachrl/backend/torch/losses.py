"""Head losses: one small class per loss, its fields the hyperparameters, called on a batch.

Each loss takes the network outputs and the batch tensors and returns (loss, metrics). Shared
steps (importance weights, advantage normalisation) are functions every loss calls. A loss is
registered for the type of loss spec it implements (``@register_loss(QLoss)``) and chosen by the
spec a head carries, never by the head's class; policy losses read the head's ``distribution``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from coachrl.core import batch as B
from coachrl.errors import ConfigError
from coachrl.networks.heads import Distribution, Head
from coachrl.networks.losses import (
    CategoricalQLoss,
    ClippedSurrogateLoss,
    DeterministicPolicyLoss,
    EnsembleQLoss,
    PolicyGradientLoss,
    QLoss,
    QuantileHuberLoss,
    SoftPolicyLoss,
    SoftQLoss,
    TemperatureLoss,
    ValueLoss,
)

Tensors = dict[str, torch.Tensor]
LOG_2PI = float(torch.log(torch.tensor(2.0 * torch.pi)))
HALF_LOG_2PI, LOG_2 = 0.5 * math.log(2.0 * math.pi), math.log(2.0)  # in double precision


def weighted_mean(values: torch.Tensor, batch: Tensors) -> torch.Tensor:
    """Mean over the batch, weighted by importance weights when the memory supplies them."""
    weights = batch.get(B.WEIGHTS)
    return values.mean() if weights is None else (values * weights).mean()


def normalize(advantages: torch.Tensor) -> torch.Tensor:
    return (advantages - advantages.mean()) / (advantages.std(unbiased=False) + 1e-8)


Loss = Callable[..., tuple[torch.Tensor, "Tensors"]]
LOSSES: dict[type, Callable[[Head], Loss]] = {}


def register_loss(spec_type: type) -> Callable[[Any], Any]:
    """Class decorator: the loss that trains heads whose ``loss`` is a ``spec_type``."""
    def register(cls: Any) -> Any:
        LOSSES[spec_type] = cls
        return cls
    return register


def loss_for(head: Head) -> Loss:
    """The loss the head's loss spec names."""
    factory = LOSSES.get(type(head.loss))
    if factory is None:
        raise ConfigError(
            f"head {head.name!r} carries a {type(head.loss).__name__}, which no torch loss "
            f"implements; registered: {', '.join(sorted(t.__name__ for t in LOSSES))}")
    return factory(head)


def _regression(kind: str, values: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    if kind == "huber":
        return F.smooth_l1_loss(values, targets, reduction="none")
    return F.mse_loss(values, targets, reduction="none")


def _taken(values: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """values [B, n_actions, ...] at each sample's action -> [B, ...]."""
    index = actions.long().view(-1, 1, *([1] * (values.dim() - 2)))
    return values.gather(1, index.expand(-1, 1, *values.shape[2:])).squeeze(1)


@register_loss(QLoss)
@dataclass(slots=True)
class QRegression:
    """Huber or MSE between Q(s, a) and precomputed TD targets (Mnih et al. 2015)."""

    head: Head

    def __call__(self, out: Tensors, batch: Tensors, **_: float) -> tuple[torch.Tensor, Tensors]:
        q = out[self.head.name]  # [batch, actions]
        q_taken = q.gather(1, batch[B.ACTIONS].long().unsqueeze(1)).squeeze(1)  # [batch]
        per_sample = _regression(self.head.loss.kind, q_taken, batch[B.TARGETS])
        return weighted_mean(per_sample, batch), {"q_mean": q_taken.detach().mean()}


@register_loss(EnsembleQLoss)
@dataclass(slots=True)
class EnsembleQRegression:
    """Each member's Q(s, a) [B, K] onto its own targets [B, K]; ``masks`` [B, K] (bootstrap
    masks, 1 where the member trains on the sample) weight the members; mean over members."""

    head: Head

    def __call__(self, out: Tensors, batch: Tensors, **_: float) -> tuple[torch.Tensor, Tensors]:
        q = out[self.head.name]  # [batch, members, actions]
        index = batch[B.ACTIONS].long().view(-1, 1, 1).expand(-1, q.shape[1], 1)
        q_taken = q.gather(2, index).squeeze(2)  # [batch, members]
        per_member = _regression(self.head.loss.kind, q_taken, batch[B.TARGETS])
        masks = batch.get(B.MASKS)
        if masks is not None:
            per_member = per_member * masks
        return weighted_mean(per_member.mean(1), batch), {"q_mean": q_taken.detach().mean()}


@register_loss(CategoricalQLoss)
@dataclass(slots=True)
class CategoricalCrossEntropy:
    """C51's loss: cross-entropy of the taken action's distribution [B, atoms] against the
    target distribution ``targets`` [B, atoms], projected onto the support by the agent
    (``coachrl.core.returns.categorical_projection``)."""

    head: Head

    def __call__(self, out: Tensors, batch: Tensors, **_: float) -> tuple[torch.Tensor, Tensors]:
        logits = _taken(out[f"{self.head.name}_logits"], batch[B.ACTIONS])  # [batch, atoms]
        per_sample = -(batch[B.TARGETS] * torch.log_softmax(logits, -1)).sum(-1)
        q_taken = out[self.head.name].gather(1, batch[B.ACTIONS].long().unsqueeze(1))
        return weighted_mean(per_sample, batch), {"q_mean": q_taken.detach().mean()}


@register_loss(QuantileHuberLoss)
@dataclass(slots=True)
class QuantileHuber:
    """QR-DQN's and IQN's quantile Huber loss: predicted quantiles theta_i [B, N] of the taken
    action at fractions tau_i (the head's ``{name}_taus`` where it samples them, else the
    midpoints (2i + 1) / 2N), target samples ``targets`` [B, N']: rho_tau(u) = |tau - 1{u < 0}| *
    huber_kappa(u) / kappa with u = target_j - theta_i, summed over i, averaged over j."""

    head: Head

    def __call__(self, out: Tensors, batch: Tensors, **_: float) -> tuple[torch.Tensor, Tensors]:
        kappa = self.head.loss.kappa
        theta = _taken(out[f"{self.head.name}_quantiles"], batch[B.ACTIONS])  # [batch, N]
        n = theta.shape[1]
        sampled = out.get(f"{self.head.name}_taus")  # IQN's [batch, N]; fixed for QR-DQN
        taus = (sampled.detach() if sampled is not None else
                ((2 * torch.arange(n, device=theta.device, dtype=theta.dtype) + 1) / (2.0 * n)
                 ).expand(theta.shape[0], n))
        u = batch[B.TARGETS].unsqueeze(1) - theta.unsqueeze(2)  # [batch, N, N']
        huber = F.huber_loss(u, torch.zeros_like(u), reduction="none", delta=kappa) / kappa
        rho = (taus.unsqueeze(2) - (u.detach() < 0).to(u.dtype)).abs() * huber
        per_sample = rho.mean(2).sum(1)
        return weighted_mean(per_sample, batch), {"q_mean": theta.detach().mean()}


@register_loss(ValueLoss)
@dataclass(slots=True)
class ValueRegression:
    """weight * MSE of V(s) to returns; with clip_range > 0, PPO2's clipped value loss."""

    head: Head

    def __call__(self, out: Tensors, batch: Tensors, **over: float) -> tuple[torch.Tensor, Tensors]:
        spec = self.head.loss
        values = out[self.head.name]  # [batch]
        returns = batch[B.RETURNS]
        clip_range = over.get("value_clip_range", spec.clip_range)
        loss = (values - returns).pow(2)
        if clip_range > 0:
            old = batch[B.OLD_VALUES]
            clipped = old + (values - old).clamp(-clip_range, clip_range)
            loss = torch.maximum(loss, (clipped - returns).pow(2))
        return spec.weight * weighted_mean(loss, batch), {}


class _CategoricalTerms:
    """log pi(a|s) and entropy of a categorical policy, and their gradients in its logits."""

    def __init__(self, outputs: tuple[torch.Tensor, ...], actions: torch.Tensor) -> None:
        (logits,) = outputs
        self.log_probs_all = torch.log_softmax(logits, dim=-1)  # [batch, actions]
        self.probs = self.log_probs_all.exp()
        self.index = actions.long().unsqueeze(1)
        self.log_prob = self.log_probs_all.gather(1, self.index).squeeze(1)
        self.entropy = -(self.probs * self.log_probs_all).sum(-1)

    def grads(self, d_log_prob: torch.Tensor, d_entropy: float) -> tuple[torch.Tensor, ...]:
        """d loss / d logits, given d loss / d log pi(a_i|s_i) [B] and d loss / d H_i (the same
        for every sample): d log pi(a) = onehot(a) - p, d H = -p (log p + H)."""
        grad = self.probs * -d_log_prob.unsqueeze(1)
        grad.scatter_add_(1, self.index, d_log_prob.unsqueeze(1))
        if d_entropy:
            grad.add_(self.probs * (self.log_probs_all + self.entropy.unsqueeze(1)),
                      alpha=-d_entropy)
        return (grad,)


class _GaussianTerms:
    """log pi(a|s) and entropy of a diagonal Gaussian, and their gradients in (mean, log std)."""

    def __init__(self, outputs: tuple[torch.Tensor, ...], actions: torch.Tensor) -> None:
        mean, log_std = outputs
        self.inv_std = torch.exp(-log_std)
        self.z = (actions - mean) * self.inv_std  # [batch, dim]
        self.log_prob = (-0.5 * self.z.pow(2) - log_std - 0.5 * LOG_2PI).sum(-1)
        self.entropy = (log_std + 0.5 * (1.0 + LOG_2PI)).sum(-1)

    def grads(self, d_log_prob: torch.Tensor, d_entropy: float) -> tuple[torch.Tensor, ...]:
        """d loss / d mean = d_log_prob z / std; d loss / d log std = d_log_prob (z^2 - 1)
        + d_entropy."""
        d = d_log_prob.unsqueeze(1)
        d_log_std = d * (self.z.pow(2) - 1.0)
        if d_entropy:
            d_log_std.add_(d_entropy)
        return d * self.z * self.inv_std, d_log_std


class _ClippedSurrogateFunction(torch.autograd.Function):
    """PPO-clip's loss, with its gradient in the policy's outputs written out in closed form.

    Autograd's backward through the twenty-odd small ops of the loss costs more than the ops
    themselves at PPO's batch sizes; computing the gradient in the same pass takes a PPO
    minibatch update from 885 to 846 us. The metrics (entropy, approximate KL, clip fraction)
    come from the same pass.
    """

    @staticmethod
    def forward(ctx: Any, terms: type[_CategoricalTerms] | type[_GaussianTerms],
                clip_range: float, entropy_weight: float, actions: torch.Tensor,
                old_log_probs: torch.Tensor, advantages: torch.Tensor,
                *outputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        policy = terms(outputs, actions)
        log_ratio = policy.log_prob - old_log_probs
        ratio = log_ratio.exp()
        surrogate = ratio * advantages
        clipped = ratio.clamp(1 - clip_range, 1 + clip_range).mul_(advantages)
        n = ratio.numel()
        # min(surrogate, clipped): where the unclipped term is the minimum (or they tie) its
        # gradient, advantage * ratio per unit of log-prob, flows; where the clipped term is
        # smaller the ratio is outside the clip range and the clamp passes no gradient
        d_log_prob = torch.where(surrogate <= clipped, surrogate, 0.0).div_(-n)
        loss = torch.minimum(surrogate, clipped).mean().neg_()
        entropy = policy.entropy.mean()
        if entropy_weight > 0:
            loss = loss - entropy_weight * entropy
        ctx.grads = policy.grads(d_log_prob, -entropy_weight / n)
        excess = ratio - 1.0
        approx_kl = (excess - log_ratio).mean()
        clip_fraction = (excess.abs_() > clip_range).float().mean()
        ctx.mark_non_differentiable(entropy, approx_kl, clip_fraction)
        return loss, entropy, approx_kl, clip_fraction

    @staticmethod
    def backward(ctx: Any, grad_loss: torch.Tensor, *_: Any) -> tuple[torch.Tensor | None, ...]:
        return (None,) * 6 + tuple(grad * grad_loss for grad in ctx.grads)


TERMS: dict[Distribution, type[_CategoricalTerms] | type[_GaussianTerms]] = {
    Distribution.CATEGORICAL: _CategoricalTerms, Distribution.GAUSSIAN: _GaussianTerms}


def _policy_terms(head: Head) -> type[_CategoricalTerms] | type[_GaussianTerms]:
    terms = TERMS.get(head.distribution) if head.distribution is not None else None
    if terms is None:
        raise ConfigError(
            f"head {head.name!r} ({type(head).__name__}) has no likelihood-ratio terms for a "
            f"{head.loss.__class__.__name__}; it needs one of these distributions: "
            f"{', '.join(d.value for d in TERMS)}")
    return terms


def _advantages(batch: Tensors, normalize_advantages: bool) -> torch.Tensor:
    advantages = batch[B.ADVANTAGES]
    if normalize_advantages and advantages.numel() > 1:
        advantages = normalize(advantages)
    return advantages


@register_loss(ClippedSurrogateLoss)
@dataclass(slots=True)
class ClippedSurrogate:
    """PPO-clip policy loss (Schulman et al. 2017) minus an entropy bonus."""

    head: Head

    def __call__(self, out: Tensors, batch: Tensors, **over: float) -> tuple[torch.Tensor, Tensors]:
        spec: ClippedSurrogateLoss = self.head.loss
        outputs = tuple(out[name] for name in self.head.distribution_outputs())
        loss, entropy, approx_kl, clip_fraction = _ClippedSurrogateFunction.apply(
            _policy_terms(self.head), over.get("clip_range", spec.clip_range),
            spec.entropy_weight, batch[B.ACTIONS], batch[B.LOG_PROBS],
            _advantages(batch, spec.normalize_advantages), *outputs)
        return loss, {"entropy": entropy, "approx_kl": approx_kl, "clip_fraction": clip_fraction}


class _PolicyGradientFunction(torch.autograd.Function):
    """``-mean(log pi(a|s) * A) - c * mean(H)`` with its gradient in the policy's outputs in
    closed form, as ``_ClippedSurrogateFunction`` (a unit test compares it with autograd)."""

    @staticmethod
    def forward(ctx: Any, terms: type[_CategoricalTerms] | type[_GaussianTerms],
                entropy_weight: float, actions: torch.Tensor, advantages: torch.Tensor,
                *outputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        policy = terms(outputs, actions)
        n = advantages.numel()
        loss = (policy.log_prob * advantages).mean().neg_()
        entropy = policy.entropy.mean()
        if entropy_weight > 0:
            loss = loss - entropy_weight * entropy
        ctx.grads = policy.grads(advantages / -n, -entropy_weight / n)
        ctx.mark_non_differentiable(entropy)
        return loss, entropy

    @staticmethod
    def backward(ctx: Any, grad_loss: torch.Tensor, *_: Any) -> tuple[torch.Tensor | None, ...]:
        return (None,) * 4 + tuple(grad * grad_loss for grad in ctx.grads)


@register_loss(PolicyGradientLoss)
@dataclass(slots=True)
class PolicyGradient:
    """The likelihood-ratio policy gradient (REINFORCE, A2C/A3C) minus an entropy bonus."""

    head: Head

    def __call__(self, out: Tensors, batch: Tensors, **_: float) -> tuple[torch.Tensor, Tensors]:
        spec: PolicyGradientLoss = self.head.loss
        outputs = tuple(out[name] for name in self.head.distribution_outputs())
        loss, entropy = _PolicyGradientFunction.apply(
            _policy_terms(self.head), spec.entropy_weight, batch[B.ACTIONS],
            _advantages(batch, spec.normalize_advantages), *outputs)
        return loss, {"entropy": entropy}


def squashed_gaussian_sample(mean: torch.Tensor, log_std: torch.Tensor,
                             noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """a = tanh(u), u = mean + std * noise (reparameterised); returns (a [B, D], log pi(a|s) [B]).

    The change of variables subtracts log |da/du| = log(1 - tanh(u)^2) per dimension (Haarnoja
    et al. 2018, appendix C), computed as 2 (log 2 - u - softplus(-2u)): the same value without
    the 1 - tanh^2 that rounds to 0 (and its log to -inf) once |u| passes about 9.
    """
    u = mean + log_std.exp() * noise
    gaussian = (-0.5 * noise.pow(2) - log_std - HALF_LOG_2PI).sum(-1)
    log_det = (2.0 * (LOG_2 - u - F.softplus(-2.0 * u))).sum(-1)
    return torch.tanh(u), gaussian - log_det


@register_loss(SoftQLoss)
@dataclass(slots=True)
class SoftQRegression:
    """``weight * sum_i MSE(Q_i(s, a), y)`` over an ensemble of critics (Haarnoja et al. 2018)."""

    head: Head

    def __call__(self, out: Tensors, batch: Tensors, **_: float) -> tuple[torch.Tensor, Tensors]:
        q = out[self.head.name]  # [critics, batch]
        per_sample = (q - batch[B.TARGETS]).pow(2).sum(0)  # [batch]
        return self.head.loss.weight * weighted_mean(per_sample, batch), {
            "q_mean": q.detach().mean()}


@register_loss(SoftPolicyLoss)
@dataclass(slots=True)
class SoftPolicyObjective:
    """SAC's policy loss: mean(alpha * log pi(a|s) - min_i Q_i(s, a)), a ~ pi reparameterised.

    Called by the actor-critic update, which owns the critics; ``train_on_batch`` on a network
    with this head alone refuses, since the loss needs Q.
    """

    head: Head

    def __call__(self, out: Tensors, batch: Tensors, **_: float) -> tuple[torch.Tensor, Tensors]:
        raise RuntimeError(f"head {self.head.name!r} is trained by an actor-critic update (its "
                           "loss needs the critic); train_on_batch cannot train it alone")

    @staticmethod
    def loss(log_probs: torch.Tensor, q_values: torch.Tensor,
             temperature: torch.Tensor) -> torch.Tensor:
        """log_probs [B], q_values [critics, B], temperature [] (not differentiated)."""
        return (temperature * log_probs - q_values.min(0).values).mean()


@dataclass(slots=True)
class TemperatureObjective:
    """Automatic entropy tuning (Haarnoja et al. 2018b): -log alpha * (log pi + H_target).

    Its gradient with respect to log alpha is -(log pi + H_target): alpha grows while the
    policy's entropy (-log pi) is below the target and shrinks above it.
    """

    spec: TemperatureLoss

    def __call__(self, log_temperature: torch.Tensor,
                 log_probs: torch.Tensor) -> torch.Tensor:
        return -(log_temperature * (log_probs.detach() + self.spec.target_entropy)).mean()


@register_loss(DeterministicPolicyLoss)
@dataclass(slots=True)
class DeterministicPolicyObjective:
    """DDPG's policy loss, -mean(Q(s, mu(s))), through a critic the actor-critic update owns;
    ``train_on_batch`` on the actor alone refuses, as for SAC's policy."""

    head: Head

    def __call__(self, out: Tensors, batch: Tensors, **_: float) -> tuple[torch.Tensor, Tensors]:
        raise RuntimeError(f"head {self.head.name!r} is trained by an actor-critic update (its "
                           "loss needs the critic); train_on_batch cannot train it alone")

    @staticmethod
    def loss(q_values: torch.Tensor) -> torch.Tensor:
        """q_values [B] or [critics, B] of (s, mu(s)); the first critic's, as TD3 does."""
        return -(q_values if q_values.dim() == 1 else q_values[0]).mean()
