"""Discrete BCQ's head and target on hand-made numbers: only actions the imitation model finds
likely enough (G(a)/max G >= tau) are argmax candidates, when acting and in the target."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coachrl.backend.numpy.heads import NUMPY_OPS
from coachrl.networks import BCQHead

pytestmark = pytest.mark.unit


class _Params:
    """Linear layers that return fixed outputs, whatever the features."""

    def __init__(self, q: list[float], logits: list[float]) -> None:
        self.values = {"linear": np.array([q]), "imitation": np.array([logits])}

    def linear(self, name: str, x: np.ndarray) -> np.ndarray:
        return self.values[name]

    def parameter(self, name: str) -> np.ndarray:
        raise KeyError(name)


def test_unlikely_actions_are_masked_out_of_the_argmax() -> None:
    # G = softmax(0, log 0.2, -1): relative to the best, 1, 0.2 and e^-1 = 0.37; tau 0.3 keeps
    # actions 0 and 2, so the argmax is action 2 (Q 2), not action 1 (Q 5, G only 0.2 of max)
    head = BCQHead(n_actions=3, threshold=0.3)
    out: dict = {}
    head.forward(NUMPY_OPS, _Params([1.0, 5.0, 2.0], [0.0, math.log(0.2), -1.0]), None, out)
    np.testing.assert_array_equal(out["q_raw"], [[1.0, 5.0, 2.0]])
    assert out["q"][0, 0] == 1.0 and out["q"][0, 2] == 2.0 and out["q"][0, 1] == BCQHead.MASKED
    assert out["q"].argmax(-1)[0] == 2
    out = {}
    head.forward(NUMPY_OPS, _Params([1.0, 5.0, 2.0], [0.0, 0.0, 0.0]), None, out)
    assert out["q"].argmax(-1)[0] == 1  # a uniform G keeps every action


def test_bad_bcq_settings_are_refused() -> None:
    from coachrl.agents.bcq import BCQAlgorithmParams
    from coachrl.errors import ConfigError

    with pytest.raises(ConfigError, match="threshold"):
        BCQAlgorithmParams(threshold=0.0)


def test_cql_adds_the_log_sum_exp_gap_to_the_td_loss() -> None:
    """Q = (1, 2), action 0, target 1: TD 0, gap log(e + e^2) - 1 = 1.3133; alpha 2 doubles it,
    and its gradient pushes Q(s, 1), the action the data did not take, down."""
    import torch

    from coachrl.backend.torch.losses import loss_for
    from coachrl.core import batch as B
    from coachrl.networks import CQLLoss, QHead

    q = torch.tensor([[1.0, 2.0]], requires_grad=True)
    batch = {B.ACTIONS: torch.tensor([0]), B.TARGETS: torch.tensor([1.0])}
    for alpha in (1.0, 2.0):
        loss, terms = loss_for(QHead(n_actions=2, loss=CQLLoss(alpha=alpha)))({"q": q}, batch)
        gap = math.log(math.e + math.e ** 2) - 1.0
        assert float(loss.detach()) == pytest.approx(alpha * gap, rel=1e-6)
        assert float(terms["cql_gap"]) == pytest.approx(gap, rel=1e-6)
    (grad,) = torch.autograd.grad(loss, q)
    assert grad[0, 1] > 0 > grad[0, 0]  # descent lowers Q(s, 1), raises Q(s, 0)
