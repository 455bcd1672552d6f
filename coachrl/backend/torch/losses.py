"""Head losses: one small class per loss, its fields the hyperparameters, called on a batch.

Each loss takes the network outputs and the batch tensors and returns (loss, metrics). Shared
steps (importance weights, advantage normalisation) are functions every loss calls. A loss is
registered for the type of loss spec it implements (``@register_loss(QLoss)``, loss_registry.py)
and chosen by the spec a head carries, never by the head's class; the likelihood-ratio policy
losses (policy_losses.py) read the head's ``distribution``.
"""


from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from coachrl.backend.torch.loss_registry import (
    LOSSES,
    ClosedFormLoss,
    Loss,
    Tensors,
    loss_for,
    normalize,
    register_loss,
    weighted_mean,
    weighted_mean_gradient,
)
from coachrl.backend.torch.policy_losses import (  # registered
    ClippedSurrogate,
    KLPenaltySurrogate,
    PolicyGradient,
)
from coachrl.core import batch as B
from coachrl.networks.heads import Head
from coachrl.networks.losses import (
    BCQLoss,
    CategoricalQLoss,
    CQLLoss,
    DeterministicPolicyLoss,
    EnsembleQLoss,
    OutputGradientLoss,
    QLoss,
    QuantileHuberLoss,
    SoftPolicyLoss,
    SoftQLoss,
    TemperatureLoss,
    ValueLoss,
)

__all__ = ["LOSSES", "ClippedSurrogate", "ClosedFormLoss", "KLPenaltySurrogate", "Loss",
           "PolicyGradient", "loss_for", "normalize", "register_loss", "weighted_mean"]
HALF_LOG_2PI, LOG_2 = 0.5 * math.log(2.0 * math.pi), math.log(2.0)  # in double precision


def _regression(kind: str, values: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    if kind == "huber":
        return F.smooth_l1_loss(values, targets, reduction="none")
    return F.mse_loss(values, targets, reduction="none")


def _regression_gradient(kind: str, values: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """d _regression / d values, per sample: the Huber loss's clip(error, -1, 1) (its
    beta is 1), the squared error's 2 * error."""
    error = values - targets
    return error.clamp_(-1.0, 1.0) if kind == "huber" else error.mul_(2.0)


def _action_index(values: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """The index that picks each sample's action from values [B, n_actions, ...]."""
    index = actions.long().view(-1, 1, *([1] * (values.dim() - 2)))
    return index.expand(-1, 1, *values.shape[2:])


def _taken(values: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """values [B, n_actions, ...] at each sample's action -> [B, ...]."""
    return values.gather(1, _action_index(values, actions)).squeeze(1)


def _scattered(values: torch.Tensor, actions: torch.Tensor, taken: torch.Tensor) -> torch.Tensor:
    """Zeros shaped like values [B, n_actions, ...] with ``taken`` [B, ...] at each sample's
    action: the gradient of a loss that reads only the taken action's entries."""
    return torch.zeros_like(values).scatter_(1, _action_index(values, actions),
                                             taken.unsqueeze(1))


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

    def gradient(self, out: Tensors, batch: Tensors,
                 **_: float) -> tuple[torch.Tensor, Tensors, Tensors]:
        """d loss / d Q(s, .): the regression's gradient at each sample's action, zero
        elsewhere."""
        kind, targets = self.head.loss.kind, batch[B.TARGETS]
        q = out[self.head.name].detach()
        q_taken = _taken(q, batch[B.ACTIONS])
        per_sample = _regression(kind, q_taken, targets)
        scale = weighted_mean_gradient(per_sample, batch)
        grad = _scattered(q, batch[B.ACTIONS],
                          _regression_gradient(kind, q_taken, targets).mul_(scale))
        return weighted_mean(per_sample, batch), {"q_mean": q_taken.mean()}, {self.head.name: grad}


@register_loss(BCQLoss)
@dataclass(slots=True)
class BCQRegression:
    """Huber or MSE of the unmasked Q(s, a) onto the targets, plus the imitation model's
    negative log-likelihood of the batch's actions and a penalty on its logits."""

    head: Head

    def __call__(self, out: Tensors, batch: Tensors, **_: float) -> tuple[torch.Tensor, Tensors]:
        spec: BCQLoss = self.head.loss
        actions = batch[B.ACTIONS].long()
        q_taken = out[f"{self.head.name}_raw"].gather(1, actions.unsqueeze(1)).squeeze(1)
        td = weighted_mean(_regression(spec.kind, q_taken, batch[B.TARGETS]), batch)
        logits = out[f"{self.head.name}_imitation"]
        imitation = F.cross_entropy(logits, actions)
        loss = td + spec.imitation_weight * (imitation + spec.logit_penalty * logits.pow(2).mean())
        return loss, {"q_mean": q_taken.detach().mean(), "imitation_nll": imitation.detach()}


@register_loss(CQLLoss)
@dataclass(slots=True)
class ConservativeQRegression:
    """The TD loss of Q(s, a) plus alpha (logsumexp_b Q(s, b) - Q(s, a)) (CQL(H))."""

    head: Head

    def __call__(self, out: Tensors, batch: Tensors, **_: float) -> tuple[torch.Tensor, Tensors]:
        spec: CQLLoss = self.head.loss
        q = out[self.head.name]
        q_taken = q.gather(1, batch[B.ACTIONS].long().unsqueeze(1)).squeeze(1)
        td = weighted_mean(_regression(spec.kind, q_taken, batch[B.TARGETS]), batch)
        gap = (torch.logsumexp(q, dim=1) - q_taken).mean()
        return td + spec.alpha * gap, {"q_mean": q_taken.detach().mean(),
                                       "cql_gap": gap.detach()}


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
    midpoints: torch.Tensor | None = field(default=None, repr=False)  # QR-DQN's, made once

    def fractions(self, out: Tensors, theta: torch.Tensor) -> torch.Tensor:
        """tau_i as a column against the targets: [B, N, 1] (sampled) or [N, 1] (midpoints)."""
        sampled = out.get(f"{self.head.name}_taus")
        if sampled is not None:
            return sampled.detach().unsqueeze(2)
        n = theta.shape[1]
        if self.midpoints is None or self.midpoints.shape[0] != n or (
                self.midpoints.dtype, self.midpoints.device) != (theta.dtype, theta.device):
            arange = torch.arange(n, device=theta.device, dtype=theta.dtype)
            self.midpoints = ((2 * arange + 1) / (2.0 * n)).unsqueeze(1)
        return self.midpoints

    def __call__(self, out: Tensors, batch: Tensors, **_: float) -> tuple[torch.Tensor, Tensors]:
        kappa = self.head.loss.kappa
        theta = _taken(out[f"{self.head.name}_quantiles"], batch[B.ACTIONS])  # [batch, N]
        u = batch[B.TARGETS].unsqueeze(1) - theta.unsqueeze(2)  # [batch, N, N']
        huber = F.huber_loss(u, torch.zeros_like(u), reduction="none", delta=kappa) / kappa
        rho = (self.fractions(out, theta) - (u.detach() < 0).to(u.dtype)).abs() * huber
        per_sample = rho.mean(2).sum(1)
        return weighted_mean(per_sample, batch), {"q_mean": theta.detach().mean()}

    def gradient(self, out: Tensors, batch: Tensors,
                 **_: float) -> tuple[torch.Tensor, Tensors, Tensors]:
        """d rho / d theta_i = -|tau_i - 1{u_ij < 0}| clip(u_ij, -kappa, kappa) / kappa, averaged
        over j."""
        kappa = self.head.loss.kappa
        name = f"{self.head.name}_quantiles"
        quantiles = out[name].detach()
        theta = _taken(quantiles, batch[B.ACTIONS])
        u = batch[B.TARGETS].unsqueeze(1) - theta.unsqueeze(2)
        clipped = u.clamp(-kappa, kappa)
        weight = (self.fractions(out, theta) - (u < 0).to(u.dtype)).abs_()
        weighted = weight.mul_(clipped)  # |tau - 1{u < 0}| clip(u)
        # huber_kappa(u) = clip(u) (u - clip(u) / 2): 0.5 u^2 inside, kappa (|u| - kappa/2) out
        per_sample = (weighted * (u - 0.5 * clipped)).mean(2).sum(1) / kappa
        scale = weighted_mean_gradient(per_sample, batch) * (-1.0 / kappa)
        grad = _scattered(quantiles, batch[B.ACTIONS], weighted.mean(2) * scale.unsqueeze(1))
        return weighted_mean(per_sample, batch), {"q_mean": theta.mean()}, {name: grad}


@register_loss(OutputGradientLoss)
@dataclass(slots=True)
class OutputGradient:
    """sum(output * targets): its gradient with respect to the head's output is ``targets``,
    the dL/d(output) the agent computed; backpropagation carries it into the weights."""

    head: Head

    def __call__(self, out: Tensors, batch: Tensors, **_: float) -> tuple[torch.Tensor, Tensors]:
        return (out[self.head.name] * batch[B.TARGETS].detach()).sum(), {}


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

    def gradient(self, out: Tensors, batch: Tensors,
                 **over: float) -> tuple[torch.Tensor, Tensors, Tensors]:
        """d loss / d V(s) = weight * d weighted_mean * 2 (V - R); clipped: the larger branch's
        (the clipped one's is 0 where the clamp is active), their mean where they tie, as
        autograd's maximum and clamp give."""
        spec = self.head.loss
        values, returns = out[self.head.name].detach(), batch[B.RETURNS]
        clip_range = over.get("value_clip_range", spec.clip_range)
        error = values - returns
        loss = error.pow(2)
        grad = error.mul(2.0)
        if clip_range > 0:
            old = batch[B.OLD_VALUES]
            change = values - old
            clipped_error = old + change.clamp(-clip_range, clip_range) - returns
            clipped_loss = clipped_error.pow(2)
            clipped_grad = clipped_error.mul_(2.0).mul_(change.abs() <= clip_range)
            grad = torch.where(clipped_loss > loss, clipped_grad,
                               torch.where(clipped_loss < loss, grad, 0.5 * (grad + clipped_grad)))
            loss = torch.maximum(loss, clipped_loss)
        grad.mul_(weighted_mean_gradient(loss, batch)).mul_(spec.weight)
        return spec.weight * weighted_mean(loss, batch), {}, {self.head.name: grad}


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
