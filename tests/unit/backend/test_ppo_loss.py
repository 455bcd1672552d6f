"""PPO-clip's closed-form gradient equals autograd's through the textbook formula, for both
policy kinds, with and without the entropy bonus, with ratios inside and outside the clip range."""

from __future__ import annotations

import math

import pytest
import torch

from coachrl.backend.torch.losses import ClippedSurrogate
from coachrl.core import batch as B
from coachrl.networks.spec import ClippedSurrogateLoss, DiscretePolicyHead, GaussianPolicyHead

N = 64
LOG_2PI = math.log(2.0 * math.pi)


def _reference(kind: str, outputs: list[torch.Tensor], batch: dict[str, torch.Tensor],
               clip_range: float, entropy_weight: float,
               normalize: bool) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Schulman et al. (2017), eq. 7, minus the entropy bonus, differentiated by autograd."""
    actions = batch[B.ACTIONS]
    if kind == "discrete":
        distribution = torch.distributions.Categorical(logits=outputs[0])
    else:
        distribution = torch.distributions.Normal(outputs[0], outputs[1].exp())
    log_prob = distribution.log_prob(actions)
    entropy = distribution.entropy()
    if kind != "discrete":
        log_prob, entropy = log_prob.sum(-1), entropy.sum(-1)
    advantages = batch[B.ADVANTAGES]
    if normalize:
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    ratio = torch.exp(log_prob - batch[B.LOG_PROBS])
    surrogate = torch.min(ratio * advantages,
                          torch.clamp(ratio, 1 - clip_range, 1 + clip_range) * advantages)
    loss = -surrogate.mean() - entropy_weight * entropy.mean()
    log_ratio = log_prob - batch[B.LOG_PROBS]
    return loss, {"entropy": entropy.mean(),
                  "approx_kl": ((ratio - 1) - log_ratio).mean(),
                  "clip_fraction": ((ratio - 1).abs() > clip_range).float().mean()}


def _case(kind: str, seed: int) -> tuple[list[torch.Tensor], dict[str, torch.Tensor]]:
    generator = torch.Generator().manual_seed(seed)
    randn = lambda *shape: torch.randn(*shape, generator=generator)  # noqa: E731
    if kind == "discrete":
        outputs = [randn(N, 3)]
        actions = torch.randint(0, 3, (N,), generator=generator)
    else:
        outputs = [randn(N, 2), 0.3 * randn(N, 2)]
        actions = randn(N, 2)
    # old log-probs spread so that ratios land on both sides of the clip range
    batch = {B.ACTIONS: actions, B.ADVANTAGES: randn(N),
             B.LOG_PROBS: -1.5 + 0.6 * randn(N)}
    return [o.requires_grad_() for o in outputs], batch


@pytest.mark.parametrize("kind", ["discrete", "gaussian"])
@pytest.mark.parametrize("entropy_weight", [0.0, 0.01])
@pytest.mark.parametrize("normalize", [True, False])
def test_closed_form_matches_autograd(kind: str, entropy_weight: float, normalize: bool) -> None:
    spec = ClippedSurrogateLoss(clip_range=0.2, entropy_weight=entropy_weight,
                                normalize_advantages=normalize)
    head = (DiscretePolicyHead(n_actions=3, loss=spec) if kind == "discrete"
            else GaussianPolicyHead(action_dim=2, loss=spec))
    loss_fn = ClippedSurrogate(head)
    clipped_seen = 0.0
    for seed in range(4):
        outputs, batch = _case(kind, seed)
        names = [head.name] if kind == "discrete" else [head.name, head.log_std_name]
        loss, metrics = loss_fn(dict(zip(names, outputs, strict=True)), batch, clip_range=0.25)
        got = torch.autograd.grad(loss, outputs)
        want_loss, want_metrics = _reference(kind, outputs, batch, 0.25, entropy_weight,
                                             normalize)
        want = torch.autograd.grad(want_loss, outputs)
        torch.testing.assert_close(loss, want_loss, rtol=1e-5, atol=1e-6)
        for key, value in want_metrics.items():
            torch.testing.assert_close(metrics[key], value, rtol=1e-5, atol=1e-6, msg=key)
        for g, w in zip(got, want, strict=True):
            torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-7)
        clipped_seen += float(metrics["clip_fraction"])
    assert 0.0 < clipped_seen < 4.0  # both branches of the minimum were exercised


def test_the_loss_scales_its_gradient_by_the_incoming_one() -> None:
    head = DiscretePolicyHead(n_actions=3)
    outputs, batch = _case("discrete", 0)
    loss, _ = ClippedSurrogate(head)({head.name: outputs[0]}, batch)
    (once,) = torch.autograd.grad(loss, outputs)
    loss, _ = ClippedSurrogate(head)({head.name: outputs[0]}, batch)
    (thrice,) = torch.autograd.grad(3.0 * loss, outputs)
    torch.testing.assert_close(thrice, 3.0 * once)
