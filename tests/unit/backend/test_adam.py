"""``FlatAdam`` is torch.optim.Adam's arithmetic on flat buffers: bit for bit against it on both
paths (the fused kernel, and torch.optim itself where the kernel is not used), across a change of
learning rate, a switch of path and a state dict round trip in torch's format either way; and a
process that builds and steps it never imports torch._dynamo."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from coachrl.backend.torch import private
from coachrl.backend.torch.adam import FlatAdam
from coachrl.errors import CheckpointError

# multiples of 16 floats: the fused kernel rounds a vector's tail (past its last full SIMD
# register) apart from its body, so on one flat tensor and on three it agrees bit for bit only
# where the three end on register boundaries
SHAPES = ((16, 3), (16,), (2, 16))


def _parameters(seed: int) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor]:
    """Parameters as views of one flat buffer, their gradients views of another."""
    generator = torch.Generator().manual_seed(seed)
    total = sum(torch.Size(shape).numel() for shape in SHAPES)
    flat, flat_grad = torch.randn(total, generator=generator), torch.zeros(total)
    parameters, offset = [], 0
    for shape in SHAPES:
        size = torch.Size(shape).numel()
        parameter = torch.nn.Parameter(flat[offset:offset + size].view(shape))
        parameter.data = flat[offset:offset + size].view(shape)
        parameter.grad = flat_grad[offset:offset + size].view(shape)
        parameters.append(parameter)
        offset += size
    return flat, parameters, flat_grad


def _gradient(flat_grad: torch.Tensor, step: int) -> None:
    flat_grad.copy_(torch.randn(flat_grad.shape, generator=torch.Generator().manual_seed(step)))


@pytest.fixture(autouse=True)
def _private_calls_allowed():
    private.use_private(True)
    yield
    private.use_private(True)


@pytest.mark.parametrize("public_from", [None, 0, 7], ids=["fused", "public", "switched"])
def test_flat_adam_steps_as_torch_optim_adam(public_from: int | None) -> None:
    flat, parameters, flat_grad = _parameters(0)
    adam = FlatAdam(parameters, flat, learning_rate=1e-2, eps=1e-5)
    ref_flat, reference, ref_grad = _parameters(0)
    torch_adam = torch.optim.Adam(reference, lr=1e-2, eps=1e-5,
                                  fused=public_from is None or None)
    for step in range(15):
        if public_from is not None:
            private.use_private(step < public_from)
        if step == 5:
            adam.set_learning_rate(3e-3)
            torch_adam.param_groups[0]["lr"] = 3e-3
        if step == 10:  # its own state dict, then torch's, read back
            adam.load_state_dict(adam.state_dict())
            adam.load_state_dict(torch_adam.state_dict())
        _gradient(flat_grad, step)
        _gradient(ref_grad, step)
        adam.step(flat_grad)
        torch_adam.step()
        if public_from in (None, 0):  # the same path on both sides: the same bits
            torch.testing.assert_close(flat, ref_flat, rtol=0, atol=0)
        else:  # the fused kernel against torch's unfused Adam: rounded apart, the same maths
            torch.testing.assert_close(flat, ref_flat, rtol=1e-6, atol=1e-7)
    assert (adam._public is None) == (public_from is None)
    mine, theirs = adam.state_dict(), torch_adam.state_dict()
    assert [g["lr"] for g in mine["param_groups"]] == [3e-3]
    assert set(mine["state"]) == set(theirs["state"]) == set(range(len(SHAPES)))
    for index, entry in theirs["state"].items():
        assert set(mine["state"][index]) == set(entry)
        assert float(mine["state"][index]["step"]) == float(entry["step"]) == 15


def test_the_state_dict_is_torch_optim_adams_format() -> None:
    flat, parameters, flat_grad = _parameters(1)
    adam = FlatAdam(parameters, flat, learning_rate=1e-3, eps=1e-8)
    _, reference, ref_grad = _parameters(1)
    torch_adam = torch.optim.Adam(reference, lr=1e-3, eps=1e-8, fused=True)
    assert adam.state_dict() == torch_adam.state_dict()  # before a step: no per-parameter state
    _gradient(flat_grad, 0)
    _gradient(ref_grad, 0)
    adam.step(flat_grad)
    torch_adam.step()
    mine, theirs = adam.state_dict(), torch_adam.state_dict()
    assert mine["param_groups"] == theirs["param_groups"]
    for index, entry in theirs["state"].items():
        for name, value in entry.items():
            torch.testing.assert_close(mine["state"][index][name], value, rtol=0, atol=0)


def test_a_state_that_steps_parameters_apart_is_refused() -> None:
    flat, parameters, flat_grad = _parameters(2)
    adam = FlatAdam(parameters, flat, learning_rate=1e-3, eps=1e-8)
    _gradient(flat_grad, 0)
    adam.step(flat_grad)
    state = adam.state_dict()
    state["state"][1]["step"] = torch.tensor(7.0)
    with pytest.raises(CheckpointError, match=r"at steps \[1.0, 7.0\]"):
        adam.load_state_dict(state)


def test_building_and_stepping_it_does_not_import_torch_dynamo() -> None:
    code = ("import sys, torch\n"
            "from coachrl.backend.torch.adam import FlatAdam\n"
            "p = torch.zeros(3, requires_grad=True)\n"
            "adam = FlatAdam([p], p.data, learning_rate=1e-3, eps=1e-8)\n"
            "adam.step(torch.ones(3)); adam.load_state_dict(adam.state_dict())\n"
            "assert 'torch._dynamo' not in sys.modules, 'torch._dynamo was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
