"""Exported policies: file sizes and the latency of one action at batch 1.

Each preset's agent (its initial weights: the cost does not depend on their values) is exported
as a numpy bundle and as ONNX; one observation at a time, the same 2,000 observations go
through the torch module the ONNX export traces (observation filter, network, action rule,
under ``torch.inference_mode``), the numpy bundle (``coachrl.load("policy.npz").act``) and ONNX
Runtime (one intra-op thread), repeats interleaved. The rule, fixed before the first run: the
numpy bundle's median microseconds per action at most torch's (it is meant for deployment where
torch is not installed, and should not cost more than torch where it is). ONNX Runtime's ratio
is reported without a target.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from benchmarks.common import Options, Ratio, Report, interleaved

TITLE = "Exported policies: microseconds per action at batch 1, and file sizes"
PRESETS = ("CartPole_DQN", "CartPole_ClippedPPO", "Pendulum_SAC")
LATENCY, SIZE = "us per action (batch 1)", "KiB on disk"
TORCH, NUMPY, ONNX = "coachrl torch module", "coachrl numpy bundle", "onnx runtime"
CALLS = 2_000


def _exported(preset_name: str, folder: Path) -> tuple[Any, Any, Any, np.ndarray]:
    """(torch module, numpy bundle, ONNX policy, observations) of a preset's initial agent."""
    from coachrl import deploy
    from coachrl.backend.torch.onnx import ExportedModule
    from coachrl.registry import env_adapter, load_preset
    from coachrl.runtime.build import make_agent, make_backends, make_filters

    preset = load_preset(preset_name)
    env = env_adapter()(preset.env, seed=0, n_envs=1)
    learner, actor = make_backends(preset)
    agent = make_agent(preset, SimpleNamespace(spaces=env.spaces, n_envs=1), learner, actor)
    normalizer = make_filters(preset, env).observations
    observations = np.stack([env.reset()[0]] + [env.step(agent.random_actions(1).actions)[0]
                                                 .observations[0] for _ in range(CALLS - 1)])
    env.close()
    if normalizer is not None:
        normalizer.update(observations)
    export = agent.policy_export()
    spec = deploy.policy_spec(export, env.spaces, normalizer, preset=preset_name)
    deploy.write_numpy(export, spec, folder / f"{preset_name}.npz")
    deploy.write_onnx(export, spec, folder / f"{preset_name}.onnx", normalizer)
    normalize = None if normalizer is None else (normalizer.mean, normalizer.var,
                                                 normalizer.epsilon, normalizer.clip)
    module = ExportedModule(export.network.spec, export.network.get_weights(), export.action,
                            values=[], normalize=normalize, keys=None).eval()
    return (module, deploy.ExportedPolicy(folder / f"{preset_name}.npz"),
            deploy.OnnxPolicy(folder / f"{preset_name}.onnx"), observations[:, None])


def _per_call(act: Any, observations: np.ndarray) -> float:
    start = time.perf_counter()
    for observation in observations:
        act(observation)
    return (time.perf_counter() - start) / len(observations) * 1e6


def run(options: Options) -> Report:
    import torch

    torch.set_num_threads(1)
    report = Report(TITLE)
    repeats = 1 if options.quick else options.repeats
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in PRESETS:
            module, bundle, onnx, observations = _exported(name, folder)
            if options.quick:
                observations = observations[:50]

            def torch_act(observation: np.ndarray, module: Any = module) -> np.ndarray:
                with torch.inference_mode():
                    return module(torch.as_tensor(observation))[0].numpy()

            interleaved(repeats, {
                TORCH: lambda r, a=torch_act, o=observations, n=name: report.add(
                    n, TORCH, LATENCY, _per_call(a, o), r),
                NUMPY: lambda r, a=bundle.act, o=observations, n=name: report.add(
                    n, NUMPY, LATENCY, _per_call(a, o), r),
                ONNX: lambda r, a=onnx.act, o=observations, n=name: report.add(
                    n, ONNX, LATENCY, _per_call(a, o), r),
            })
            for library, suffix in ((NUMPY, ".npz"), (ONNX, ".onnx")):
                size = (folder / f"{name}{suffix}").stat().st_size / 1024
                report.add(name, library, SIZE, size, 0)
    summarise(report, options.quick)
    report.notes.append(f"{CALLS:,} observations of the preset's env, one call each; torch, "
                        "numpy and ONNX Runtime on one thread.")
    return report


def summarise(report: Report, quick: bool = False) -> None:
    """The rule: numpy bundle / torch module <= 1.0 per preset (median of paired repeats)."""
    del quick
    report.ratios = []
    for name in PRESETS:
        report.ratios += [
            Ratio(name, LATENCY, NUMPY, TORCH, "<= 1.0", lambda r: r <= 1.0),
            Ratio(name, LATENCY, ONNX, TORCH, ""),
        ]
