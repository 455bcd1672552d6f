"""Loss specs: which loss trains a head, and its hyperparameters; backend-neutral.

A head carries the loss spec it is trained with (``QHead(loss=QLoss(kind="mse"))``); the
backend picks the loss's implementation by the spec's type, never by the head's class, so one
head can be trained by several losses (a categorical policy by PPO's clipped surrogate or by the
plain policy gradient) and a new loss is one spec here plus one registered implementation.
Callers may override a hyperparameter per update (a scheduled clip range).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from coachrl.errors import ConfigError


class Regression(StrEnum):
    """The regression loss of value heads."""

    HUBER = "huber"  # smooth L1
    MSE = "mse"


def _check_kind(kind: str) -> None:
    if kind not in tuple(Regression):
        raise ConfigError(f"loss kind {kind!r} is not known; expected one of "
                          f"{', '.join(repr(k.value) for k in Regression)}")


@dataclass(slots=True, frozen=True, kw_only=True)
class QLoss:
    """TD regression of Q(s, a) onto targets; Huber (smooth L1) or MSE."""

    kind: Regression = Regression.HUBER

    def __post_init__(self) -> None:
        _check_kind(self.kind)


@dataclass(slots=True, frozen=True, kw_only=True)
class EnsembleQLoss:
    """TD regression of every member of a Q ensemble onto its own targets [B, K], each sample
    counted by the members its bootstrap mask [B, K] selects (Osband et al. 2016)."""

    kind: Regression = Regression.HUBER

    def __post_init__(self) -> None:
        _check_kind(self.kind)


@dataclass(slots=True, frozen=True, kw_only=True)
class CategoricalQLoss:
    """Cross-entropy of the taken action's return distribution against a target distribution
    already projected onto the head's support (C51, Bellemare et al. 2017)."""


@dataclass(slots=True, frozen=True, kw_only=True)
class QuantileHuberLoss:
    """Quantile Huber loss of the taken action's quantiles against target quantiles (QR-DQN,
    Dabney et al. 2018): ``|tau - 1{u < 0}| * huber_kappa(u) / kappa``, summed over the target
    quantiles and averaged over the predicted ones."""

    kappa: float = 1.0


@dataclass(slots=True, frozen=True, kw_only=True)
class OutputGradientLoss:
    """For updates computed outside the network: the batch's ``targets`` [B, ...] are dL/d(output)
    of a loss the agent evaluated itself (NEC's differentiable dictionary), and backpropagation
    takes them through the network: the surrogate ``sum(output * targets)`` has that gradient."""


@dataclass(slots=True, frozen=True, kw_only=True)
class ValueLoss:
    """MSE of V(s) against returns, optionally clipped around the old values (PPO)."""

    weight: float = 0.5  # coefficient in the total loss
    clip_range: float = 0.0  # 0 disables value clipping


@dataclass(slots=True, frozen=True, kw_only=True)
class ClippedSurrogateLoss:
    """PPO's clipped surrogate objective with an entropy bonus (Schulman et al. 2017)."""

    clip_range: float = 0.2  # epsilon; callers may pass a scheduled value per update
    entropy_weight: float = 0.0  # coefficient of the entropy bonus
    normalize_advantages: bool = True  # per-minibatch advantage normalisation


@dataclass(slots=True, frozen=True, kw_only=True)
class KLPenaltySurrogateLoss:
    """PPO's adaptive-KL objective (Schulman et al. 2017, section 4): ``-mean(ratio * A) +
    beta * mean(KL) - c * mean(H)``, KL(old || new) estimated per sample as (ratio - 1) -
    log ratio (unbiased and never negative under the old policy's actions). The agent adapts
    beta between updates and passes it per update (``kl_weight``)."""

    kl_weight: float = 1.0  # beta, until the agent passes its adapted value
    entropy_weight: float = 0.0
    normalize_advantages: bool = True


@dataclass(slots=True, frozen=True, kw_only=True)
class PolicyGradientLoss:
    """The likelihood-ratio policy gradient, ``-mean(log pi(a|s) * advantage)``, minus an
    entropy bonus (Williams 1992; A2C/A3C, Mnih et al. 2016)."""

    entropy_weight: float = 0.0
    normalize_advantages: bool = False


@dataclass(slots=True, frozen=True, kw_only=True)
class ACERPolicyLoss:
    """ACER's policy loss for a categorical head (Wang et al. 2017): the truncated importance
    weighted gradient ``min(c, rho_a) log pi(a|s) (Q_ret - V)`` plus the bias correction
    ``sum_b [1 - c / rho_b]_+ pi(b|s) log pi(b|s) (Q(s, b) - V)`` and an entropy bonus, with the
    gradient in the logits projected by the trust region: ``z = g - max(0, (k.g - delta) /
    |k|^2) k``, ``k`` the gradient of KL(average policy || pi) (``trust_region`` delta; 0 turns
    it off). The batch brings the behaviour policy's probabilities, Q(s, .) and Q_ret computed
    by the agent, and the average policy network's logits."""

    truncation: float = 10.0  # c
    entropy_weight: float = 0.01
    trust_region: float = 1.0  # delta

    def __post_init__(self) -> None:
        if not self.truncation > 0 or self.entropy_weight < 0 or self.trust_region < 0:
            raise ConfigError(f"ACERPolicyLoss({self.truncation}, {self.entropy_weight}, "
                              f"{self.trust_region}): truncation must be > 0, entropy_weight "
                              "and trust_region >= 0")


@dataclass(slots=True, frozen=True, kw_only=True)
class BCQLoss:
    """Discrete BCQ: TD regression of the unmasked Q(s, a) onto the targets, plus
    ``imitation_weight`` times the imitation model's negative log-likelihood of the data's
    actions and ``logit_penalty`` times its mean squared logit (Fujimoto et al. 2019)."""

    kind: Regression = Regression.HUBER
    imitation_weight: float = 1.0
    logit_penalty: float = 1e-2

    def __post_init__(self) -> None:
        _check_kind(self.kind)


@dataclass(slots=True, frozen=True, kw_only=True)
class CQLLoss(QLoss):
    """Conservative Q-learning for discrete actions (Kumar et al. 2020, CQL(H)): ``QLoss``'s TD
    regression plus ``alpha`` times logsumexp_b Q(s, b) - Q(s, a), which pushes down the Q of
    actions the data does not take (a Q head trains by it when it carries it)."""

    alpha: float = 1.0

    def __post_init__(self) -> None:
        QLoss.__post_init__(self)
        if self.alpha < 0:
            raise ConfigError(f"CQLLoss(alpha={self.alpha}): alpha must be >= 0")


@dataclass(slots=True, frozen=True, kw_only=True)
class SoftQLoss:
    """Soft Bellman regression of every critic onto one target (Haarnoja et al. 2018):
    ``weight * sum_i MSE(Q_i(s, a), y)``; the target comes precomputed with the batch."""

    weight: float = 0.5  # coefficient of the summed critic losses (0.5: the paper's 1/2 J_Q)


@dataclass(slots=True, frozen=True, kw_only=True)
class SoftPolicyLoss:
    """SAC's policy loss: mean of ``alpha * log pi(a|s) - min_i Q_i(s, a)`` over actions drawn
    with the reparameterisation trick, so the gradient flows through the critics to the policy."""


@dataclass(slots=True, frozen=True, kw_only=True)
class DeterministicPolicyLoss:
    """DDPG's policy loss, ``-mean(Q(s, mu(s)))`` (Silver et al. 2014; Lillicrap et al. 2016):
    the gradient flows through the critic, so an actor-critic update owns it."""


@dataclass(slots=True, frozen=True, kw_only=True)
class TemperatureLoss:
    """Automatic entropy tuning (Haarnoja et al. 2018b): ``-log(alpha) * (log pi + H_target)``,
    which raises alpha while the policy's entropy is below ``target_entropy``, lowers it above."""

    target_entropy: float  # H_target; -action_dim is the paper's heuristic
    initial_temperature: float = 1.0  # alpha before the first update
