"""Adam over parameters that live in one flat buffer: its moments in two flat buffers beside it
and one step count, stepped by the kernel ``torch.optim.Adam(fused=True)`` calls.

``torch.optim.Adam`` is the reference and the public path (``private.fused_adam`` says when the
kernel is not used). It is built only when that path is taken: building any
``torch.optim.Optimizer`` imports ``torch._dynamo`` (its methods are wrapped to disable it),
1.8 s of every process's start on a 2-core machine with warm caches, as long as importing torch
itself, in each ``coachrl train``, evaluation, worker and trial process, most of which never take
the public path. ``state_dict`` is ``torch.optim.Adam.state_dict``'s format, which checkpoints
have always held, so either reads the other's (tests/unit/backend/test_adam.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from coachrl.backend.torch import private
from coachrl.errors import CheckpointError

BETAS = (0.9, 0.999)
# the rest of the param group torch.optim.Adam(fused=True) writes (torch 2.x)
_GROUP_FLAGS = {"amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                "differentiable": False, "fused": True, "decoupled_weight_decay": False}


class FlatAdam:
    """Adam (Kingma and Ba 2015; torch's arithmetic) on ``parameters``, each a view of
    ``flat``, whose gradients are views of ``flat_grad`` (or, for a single tensor, its own)."""

    def __init__(self, parameters: Sequence[torch.Tensor], flat: torch.Tensor, *,
                 learning_rate: float, eps: float) -> None:
        self.parameters = list(parameters)
        self.flat = flat
        self.group: dict[str, Any] = {"lr": float(learning_rate), "betas": BETAS,
                                      "eps": float(eps), "weight_decay": 0.0}
        self.exp_avg = torch.zeros_like(flat)
        self.exp_avg_sq = torch.zeros_like(flat)
        self.steps = torch.zeros((), dtype=torch.float32, device=flat.device)
        self._public: torch.optim.Adam | None = None

    @property
    def learning_rate(self) -> float:
        return float(self.group["lr"])

    def set_learning_rate(self, learning_rate: float) -> None:
        self.group["lr"] = float(learning_rate)

    def step(self, flat_grad: torch.Tensor) -> None:
        """One step with the gradient ``flat_grad`` (shaped as ``flat``)."""
        if private.fused_adam(self.flat, flat_grad, self.exp_avg, self.exp_avg_sq, self.steps,
                              self.group):
            return
        optimizer = self.public()
        optimizer.step()
        self.steps.copy_(optimizer.state[self.parameters[0]]["step"])

    def public(self) -> torch.optim.Adam:
        """``torch.optim.Adam`` over the parameters, its state this one's (the moments as views
        of the flat buffers, the step count copied per parameter, as it keeps them)."""
        if self._public is None:
            self._public = torch.optim.Adam(self.parameters, lr=self.learning_rate,
                                            betas=BETAS, eps=self.group["eps"])
        optimizer = self._public
        optimizer.param_groups[0]["lr"] = self.learning_rate
        for parameter, (avg, avg_sq) in zip(self.parameters, self._views(), strict=True):
            optimizer.state[parameter] = {"step": self.steps.clone(), "exp_avg": avg,
                                          "exp_avg_sq": avg_sq}
        return optimizer

    def _views(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Each parameter's slice of the two moment buffers, shaped as the parameter."""
        offset = 0
        for parameter in self.parameters:
            size = parameter.numel()
            yield (self.exp_avg.view(-1)[offset:offset + size].view_as(parameter),
                   self.exp_avg_sq.view(-1)[offset:offset + size].view_as(parameter))
            offset += size

    def state_dict(self) -> dict[str, Any]:
        """As ``torch.optim.Adam.state_dict()``: no per-parameter state before the first step."""
        state: dict[int, dict[str, torch.Tensor]] = {}
        if float(self.steps) > 0:
            state = {index: {"step": self.steps.clone(), "exp_avg": avg.clone(),
                             "exp_avg_sq": avg_sq.clone()}
                     for index, (avg, avg_sq) in enumerate(self._views())}
        group = {**self.group, **_GROUP_FLAGS, "params": list(range(len(self.parameters)))}
        return {"state": state, "param_groups": [group]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """From ``state_dict``'s format (or ``torch.optim.Adam``'s; indices as ints or str)."""
        (group,) = state["param_groups"]
        self.group.update(lr=float(group["lr"]), betas=tuple(float(b) for b in group["betas"]),
                          eps=float(group["eps"]), weight_decay=float(group["weight_decay"]))
        entries = {int(index): values for index, values in state["state"].items()}
        steps = {float(np.asarray(entry["step"])) for entry in entries.values()}
        if len(steps) > 1 or (entries and len(entries) != len(self.parameters)):
            raise CheckpointError(
                f"the optimiser state holds {len(entries)} of {len(self.parameters)} parameters "
                f"at steps {sorted(steps)}; Adam here steps every parameter together")
        with torch.no_grad():
            self.steps.fill_(steps.pop() if steps else 0.0)
            for index, (avg, avg_sq) in enumerate(self._views()):
                entry = entries.get(index)
                for view, name in ((avg, "exp_avg"), (avg_sq, "exp_avg_sq")):
                    if entry is None:
                        view.zero_()
                    else:
                        view.copy_(torch.as_tensor(np.asarray(entry[name])))
