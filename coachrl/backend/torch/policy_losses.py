"""Likelihood-ratio policy losses: PPO's clipped surrogate and the plain policy gradient, each
with its gradient in the policy's outputs written out in closed form (tests compare both with
autograd), and PPO's KL-penalised surrogate (autograd). They train any head whose
``distribution`` is categorical or Gaussian."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from coachrl.backend.torch.loss_registry import Tensors, normalize, register_loss
from coachrl.core import batch as B
from coachrl.errors import ConfigError
from coachrl.networks.heads import Distribution, Head
from coachrl.networks.losses import (
    ACERPolicyLoss,
    ClippedSurrogateLoss,
    KLPenaltySurrogateLoss,
    PolicyGradientLoss,
)

LOG_2PI = float(torch.log(torch.tensor(2.0 * torch.pi)))


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


def _clipped_surrogate(terms: type[_CategoricalTerms] | type[_GaussianTerms], clip_range: float,
                       entropy_weight: float, actions: torch.Tensor, old_log_probs: torch.Tensor,
                       advantages: torch.Tensor, outputs: tuple[torch.Tensor, ...]
                       ) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...]]:
    """PPO-clip's (loss, entropy, approximate KL, clip fraction) and d loss / d outputs, in
    one pass of plain tensor arithmetic."""
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
    grads = policy.grads(d_log_prob, -entropy_weight / n)
    excess = ratio - 1.0
    approx_kl = (excess - log_ratio).mean()
    clip_fraction = (excess.abs_() > clip_range).float().mean()
    return (loss, entropy, approx_kl, clip_fraction), grads


class _ClippedSurrogateFunction(torch.autograd.Function):
    """PPO-clip's loss, with its gradient in the policy's outputs written out in closed form.

    Autograd's backward through the twenty-odd small ops of the loss costs more than the ops
    themselves at PPO's batch sizes; computing the gradient in the same pass takes a PPO
    minibatch update from 885 to 846 us. The metrics (entropy, approximate KL, clip fraction)
    come from the same pass. (The network skips even this where every head's loss has a
    closed form: ``ClippedSurrogate.gradient``.)
    """

    @staticmethod
    def forward(ctx: Any, terms: type[_CategoricalTerms] | type[_GaussianTerms],
                clip_range: float, entropy_weight: float, actions: torch.Tensor,
                old_log_probs: torch.Tensor, advantages: torch.Tensor,
                *outputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        values, ctx.grads = _clipped_surrogate(terms, clip_range, entropy_weight, actions,
                                               old_log_probs, advantages, outputs)
        ctx.mark_non_differentiable(*values[1:])
        return values

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


NORMALIZED_ADVANTAGES = "advantages/normalized"  # kept in the batch: epochs normalise once


def _advantages(batch: Tensors, normalize_advantages: bool) -> torch.Tensor:
    """The batch's advantages, normalised over it if asked. Normalised once per batch: a batch
    trained on again (``TorchNetwork.device_batch``, one minibatch for the whole rollout) keeps
    them."""
    advantages = batch[B.ADVANTAGES]
    if not normalize_advantages or advantages.numel() <= 1:
        return advantages
    normalized = batch.get(NORMALIZED_ADVANTAGES)
    if normalized is None:
        normalized = batch[NORMALIZED_ADVANTAGES] = normalize(advantages)
    return normalized


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

    def gradient(self, out: Tensors, batch: Tensors,
                 **over: float) -> tuple[torch.Tensor, Tensors, Tensors]:
        spec: ClippedSurrogateLoss = self.head.loss
        names = self.head.distribution_outputs()
        (loss, entropy, approx_kl, clip_fraction), grads = _clipped_surrogate(
            _policy_terms(self.head), over.get("clip_range", spec.clip_range),
            spec.entropy_weight, batch[B.ACTIONS], batch[B.LOG_PROBS],
            _advantages(batch, spec.normalize_advantages),
            tuple(out[name].detach() for name in names))
        return (loss, {"entropy": entropy, "approx_kl": approx_kl, "clip_fraction": clip_fraction},
                dict(zip(names, grads, strict=True)))


def _policy_gradient(terms: type[_CategoricalTerms] | type[_GaussianTerms],
                     entropy_weight: float, actions: torch.Tensor, advantages: torch.Tensor,
                     outputs: tuple[torch.Tensor, ...]
                     ) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, ...]]:
    """``-mean(log pi(a|s) * A) - c * mean(H)`` and its entropy, and d loss / d outputs."""
    policy = terms(outputs, actions)
    n = advantages.numel()
    loss = (policy.log_prob * advantages).mean().neg_()
    entropy = policy.entropy.mean()
    if entropy_weight > 0:
        loss = loss - entropy_weight * entropy
    return (loss, entropy), policy.grads(advantages / -n, -entropy_weight / n)


class _PolicyGradientFunction(torch.autograd.Function):
    """``_policy_gradient`` with its gradient in the policy's outputs in closed form, as
    ``_ClippedSurrogateFunction`` (a unit test compares it with autograd)."""

    @staticmethod
    def forward(ctx: Any, terms: type[_CategoricalTerms] | type[_GaussianTerms],
                entropy_weight: float, actions: torch.Tensor, advantages: torch.Tensor,
                *outputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        (loss, entropy), ctx.grads = _policy_gradient(terms, entropy_weight, actions,
                                                      advantages, outputs)
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

    def gradient(self, out: Tensors, batch: Tensors,
                 **_: float) -> tuple[torch.Tensor, Tensors, Tensors]:
        spec: PolicyGradientLoss = self.head.loss
        names = self.head.distribution_outputs()
        (loss, entropy), grads = _policy_gradient(
            _policy_terms(self.head), spec.entropy_weight, batch[B.ACTIONS],
            _advantages(batch, spec.normalize_advantages),
            tuple(out[name].detach() for name in names))
        return loss, {"entropy": entropy}, dict(zip(names, grads, strict=True))


@register_loss(KLPenaltySurrogateLoss)
@dataclass(slots=True)
class KLPenaltySurrogate:
    """PPO with an adaptive KL penalty: -mean(ratio A) + beta mean((ratio - 1) - log ratio)
    minus an entropy bonus; beta comes per update (``kl_weight``) from the agent."""

    head: Head

    def __call__(self, out: Tensors, batch: Tensors, **over: float) -> tuple[torch.Tensor, Tensors]:
        spec: KLPenaltySurrogateLoss = self.head.loss
        outputs = tuple(out[name] for name in self.head.distribution_outputs())
        policy = _policy_terms(self.head)(outputs, batch[B.ACTIONS])
        log_ratio = policy.log_prob - batch[B.LOG_PROBS]
        ratio = log_ratio.exp()
        kl = ((ratio - 1.0) - log_ratio).mean()
        entropy = policy.entropy.mean()
        surrogate = (ratio * _advantages(batch, spec.normalize_advantages)).mean()
        loss = -surrogate + over.get("kl_weight", spec.kl_weight) * kl
        if spec.entropy_weight > 0:
            loss = loss - spec.entropy_weight * entropy
        return loss, {"entropy": entropy.detach(), "approx_kl": kl.detach()}


def acer_logit_gradient(logits: torch.Tensor, actions: torch.Tensor, behaviour: torch.Tensor,
                        q_values: torch.Tensor, q_retrace: torch.Tensor,
                        average_logits: torch.Tensor, spec: ACERPolicyLoss
                        ) -> tuple[torch.Tensor, Tensors]:
    """Per sample, the ascent direction of ACER's objective in the logits, after the trust
    region's projection, and the terms to log (everything here is free of autograd)."""
    log_p = torch.log_softmax(logits, dim=-1)
    p = log_p.exp()
    values = (p * q_values).sum(-1, keepdim=True)  # V(s) = sum_b pi(b|s) Q(s, b)
    rho = p / behaviour.clamp_min(1e-8)  # [B, A]
    index = actions.long().unsqueeze(1)
    c = spec.truncation
    # the truncated term: min(c, rho_a) (Q_ret - V) d log pi(a) = w (onehot(a) - p)
    weight = rho.gather(1, index).clamp_max(c) * (q_retrace.unsqueeze(1) - values)
    grad = -p * weight
    grad.scatter_add_(1, index, weight)
    # the bias correction: u_b = [1 - c / rho_b]_+ pi(b) (Q(s, b) - V); d sum_b u_b log pi(b)
    # = u - p sum_b u_b
    correction = (1.0 - c / rho.clamp_min(1e-8)).clamp_min(0.0) * p * (q_values - values)
    grad += correction - p * correction.sum(-1, keepdim=True)
    entropy = -(p * log_p).sum(-1, keepdim=True)
    if spec.entropy_weight > 0:  # d H / d logits = -p (log p + H)
        grad -= spec.entropy_weight * p * (log_p + entropy)
    active = torch.zeros(len(grad), dtype=grad.dtype, device=grad.device)
    if spec.trust_region > 0:  # k = d KL(average || pi) / d logits = pi - pi_average
        k = p - torch.softmax(average_logits, dim=-1)
        excess = ((k * grad).sum(-1) - spec.trust_region).clamp_min(0.0)
        scale = excess / (k * k).sum(-1).clamp_min(1e-12)
        grad -= scale.unsqueeze(1) * k
        active = (excess > 0).to(grad.dtype)
    objective = (rho.gather(1, index).clamp_max(c).squeeze(1)
                 * log_p.gather(1, index).squeeze(1) * (q_retrace - values.squeeze(1))
                 + (correction * log_p).sum(-1) + spec.entropy_weight * entropy.squeeze(1))
    return grad, {"objective": objective.mean(), "entropy": entropy.mean(),
                  "truncated": (rho.gather(1, index) > c).to(grad.dtype).mean(),
                  "trust_region_active": active.mean()}


@register_loss(ACERPolicyLoss)
@dataclass(slots=True)
class ACERPolicy:
    """ACER's policy loss (``ACERPolicyLoss``) for categorical heads: a surrogate whose gradient
    in the logits is minus the projected ascent direction over the batch size, valued at minus
    the objective."""

    head: Head

    def __call__(self, out: Tensors, batch: Tensors, **_: float) -> tuple[torch.Tensor, Tensors]:
        if self.head.distribution is not Distribution.CATEGORICAL:
            raise ConfigError(f"ACERPolicyLoss trains categorical policy heads; head "
                              f"{self.head.name!r} is {self.head.distribution}")
        logits = out[self.head.name]
        with torch.no_grad():
            grad, terms = acer_logit_gradient(
                logits.detach(), batch[B.ACTIONS], batch[B.BEHAVIOUR_PROBS], batch[B.Q_VALUES],
                batch[B.TARGETS], batch[B.AVERAGE_LOGITS], self.head.loss)
        surrogate = -(logits * grad).sum(-1).mean()
        loss = surrogate + (-terms.pop("objective") - surrogate).detach()
        return loss, terms
