"""Private torch calls the fast paths use, each behind a check, each with its public stand-in.

The torch backend's hot paths call a few functions torch does not promise to keep:
``torch._fused_adam_`` (the kernel ``torch.optim.Adam(fused=True)`` calls, without its
per-call bookkeeping), ``torch._foreach_copy_`` / ``torch._foreach_lerp_`` (one kernel for a
list of tensors) and the aten backward ops of tanh and ReLU (the taped towers' hand-written
backward). At import each is probed on tiny tensors with the signature this code uses; one that
is missing or raises is replaced by its public equivalent, with the same arithmetic:

    torch._fused_adam_           -> ``torch.optim.Adam.step()``, built unfused (its plain
                                    implementation needs no private kernel)
    torch._foreach_copy_/lerp_   -> ``Tensor.copy_`` / ``Tensor.lerp_`` per tensor
    aten tanh/threshold_backward -> grad * (1 - y^2) / grad * (y > 0)

``COACHRL_TORCH_PUBLIC_ONLY=1`` (or ``use_private(False)``, as the tests do) takes the public
path everywhere; tests/unit/backend/test_private_fallbacks.py runs every update both ways.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import torch

_AVAILABLE: dict[str, bool] = {}
_enabled = os.environ.get("COACHRL_TORCH_PUBLIC_ONLY", "") not in ("1", "true")


def _probe(name: str, call: Callable[[], object]) -> bool:
    if name not in _AVAILABLE:
        try:
            call()
            _AVAILABLE[name] = True
        except (AttributeError, TypeError, RuntimeError, NotImplementedError):
            _AVAILABLE[name] = False
    return _AVAILABLE[name]


def _fused_adam_probe() -> None:
    p, g, m, v = (torch.zeros(2) for _ in range(4))
    step = torch.zeros(())
    torch._fused_adam_([p], [g], [m], [v], [], [step], lr=1e-3, beta1=0.9, beta2=0.999,
                       weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False)


def _foreach_probe() -> None:
    a, b = [torch.zeros(2)], [torch.ones(2)]
    torch._foreach_copy_(a, b)
    torch._foreach_lerp_(a, b, 0.5)


def _aten_backward_probe() -> None:
    y, grad = torch.zeros(2), torch.ones(2)
    torch.ops.aten.tanh_backward(grad, y)
    torch.ops.aten.threshold_backward(grad, y, 0)


def reprobe() -> None:
    """Forget the probes' results, so the next call checks torch again."""
    _AVAILABLE.clear()


def use_private(enabled: bool) -> None:
    """Allow (True) or forbid (False) the private calls, process-wide."""
    global _enabled
    _enabled = enabled


def available(name: str) -> bool:
    """Whether the private call ``name`` (fused_adam, foreach, aten_backward) is used now."""
    probes = {"fused_adam": _fused_adam_probe, "foreach": _foreach_probe,
              "aten_backward": _aten_backward_probe}
    return _enabled and _probe(name, probes[name])


def fused_adam(parameters: torch.Tensor, grad: torch.Tensor, exp_avg: torch.Tensor,
               exp_avg_sq: torch.Tensor, step: torch.Tensor, group: dict) -> bool:
    """Adam's step as torch's fused kernel, on one tensor each; False where the kernel is not
    used (the caller then calls its optimiser's public ``step()``)."""
    if not available("fused_adam"):
        return False
    beta1, beta2 = group["betas"]
    step.add_(1)
    torch._fused_adam_([parameters], [grad], [exp_avg], [exp_avg_sq], [], [step],
                       lr=float(group["lr"]), beta1=beta1, beta2=beta2,
                       weight_decay=group["weight_decay"], eps=group["eps"], amsgrad=False,
                       maximize=False)
    return True


def copy_all(dest: Sequence[torch.Tensor], source: Sequence[torch.Tensor]) -> None:
    if available("foreach"):
        torch._foreach_copy_(list(dest), list(source))
        return
    for d, s in zip(dest, source, strict=True):
        d.copy_(s)


def lerp_all(dest: Sequence[torch.Tensor], source: Sequence[torch.Tensor], weight: float) -> None:
    if available("foreach"):
        torch._foreach_lerp_(list(dest), list(source), weight)
        return
    for d, s in zip(dest, source, strict=True):
        d.lerp_(s, weight)


def tanh_backward(grad: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """d loss / d x of y = tanh(x), given d loss / d y and y."""
    if available("aten_backward"):
        return torch.ops.aten.tanh_backward(grad, output)
    return grad * (1 - output * output)


def relu_backward(grad: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """d loss / d x of y = relu(x), given d loss / d y and y."""
    if available("aten_backward"):
        return torch.ops.aten.threshold_backward(grad, output, 0)
    return grad * (output > 0)
