"""Exported policies: a run's policy as ONNX or as a numpy bundle, and the bundle run by numpy.

``coachrl export RUN_DIR --format numpy --out policy.npz`` writes the acting network's weights
and a JSON spec (observation and action spaces, the observation filter's statistics, the
network's spec, the rule that turns its outputs into actions) into one ``.npz``, and the spec
beside it as ``policy.json``. ``coachrl.load("policy.npz")`` runs it through the numpy backend:
torch is never imported, so it runs where torch is not installed. ``--format onnx`` writes
``policy.onnx`` (filters folded in as constants, a dynamic batch axis; outputs ``action`` and
the value estimates) with the same ``policy.json``.

The action is the policy's deterministic one, as ``coachrl evaluate`` takes it: argmax of Q or
of the logits, the Gaussian mean, tanh of the squashed Gaussian's mean or the deterministic
actor's output mapped onto the action bounds (``ExplorationPolicy.greedy``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import is_dataclass
from enum import Enum
from pathlib import Path
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from coachrl.agent.base import PolicyExport
from coachrl.backend.numpy import NumpyNetwork
from coachrl.backend.numpy.heads import NUMPY_OPS
from coachrl.core.batch import RECURRENT_STATE
from coachrl.core.schedules import Schedule
from coachrl.core.serialize import class_table, from_json, to_json
from coachrl.core.spaces import (
    BoxActions,
    DiscreteActions,
    EnvSpaces,
    ObservationSpace,
    dict_space,
    to_records,
)
from coachrl.errors import CheckpointError, ConfigError, ExportError
from coachrl.exploration import ExplorationPolicy, GreedyAction
from coachrl.filters.observation import ObservationNormalizer
from coachrl.networks import spec as network_spec
from coachrl.networks.heads import HEADS, LinearLayer, ParameterLayer

FORMAT = "coachrl-policy/1"
SPEC_KEY = "__spec__"
FORMATS = ("numpy", "onnx")
ACTION = "action"


def network_classes() -> dict[str, type]:
    """The classes a network spec is made of (embedders, middleware, heads, losses, enums)."""
    named = [value for value in vars(network_spec).values()
             if isinstance(value, type) and is_dataclass(value)]
    enums = [cls for cls in class_table(Enum).values() if cls.__module__.startswith("coachrl.")]
    return class_table(extra=[*named, *enums, *HEADS.values(), LinearLayer, ParameterLayer])


def action_classes() -> dict[str, type]:
    """The classes of an action rule (the exploration policy and its schedules)."""
    return class_table(ExplorationPolicy, Schedule, extra=[GreedyAction])


# -- the spec ------------------------------------------------------------------------------------
def observation_to_json(space: ObservationSpace) -> dict[str, Any]:
    if space.is_dict:
        return {"fields": [[key, observation_to_json(sub)] for key, sub in space.fields]}
    return {"shape": list(space.shape), "dtype": str(np.dtype(space.dtype)),
            "channels_first": space.channels_first}


def observation_from_json(data: Mapping[str, Any]) -> ObservationSpace:
    if "fields" in data:
        return dict_space((str(key), observation_from_json(sub)) for key, sub in data["fields"])
    return ObservationSpace(shape=tuple(data["shape"]), dtype=data["dtype"],
                            channels_first=bool(data.get("channels_first", False)))


def action_to_json(space: DiscreteActions | BoxActions) -> dict[str, Any]:
    if isinstance(space, DiscreteActions):
        return {"kind": "discrete", "n": space.n}
    return {"kind": "box", "low": list(space.low), "high": list(space.high)}


def input_names(space: ObservationSpace) -> list[str]:
    """The ONNX model's inputs: ``observation``, or one per key of a Dict observation."""
    return [key for key, _ in space.fields] if space.is_dict else ["observation"]


def policy_spec(export: PolicyExport, spaces: EnvSpaces,
                normalizer: ObservationNormalizer | None, **about: Any) -> dict[str, Any]:
    """The JSON spec of an exported policy; ``about`` adds provenance (preset, run, env)."""
    for head in export.network.spec.heads:
        if head.ensemble_members():
            raise ExportError(f"head {head.name!r} is an ensemble of whole towers over "
                              "[observation, action]; the export covers networks over the "
                              "observation only")
    rule = export.action
    outputs = [ACTION, *export.values]
    normalize = None if normalizer is None else {
        "mean": normalizer.mean.tolist(), "var": normalizer.var.tolist(),
        "epsilon": normalizer.epsilon, "clip": normalizer.clip}
    how = (f"{type(rule.exploration).__name__}.greedy of output {rule.scores!r}"
           + (", clipped to [-1, 1] and mapped onto [low, high]" if rule.low is not None else ""))
    return {"format": FORMAT, **about,
            "observation": observation_to_json(spaces.observation),
            "action": action_to_json(spaces.action),  # type: ignore[arg-type]
            "normalize_observations": normalize,
            "network": to_json(export.network.spec), "action_rule": to_json(rule),
            "action_is": how, "values": dict(export.values),
            "inputs": input_names(spaces.observation), "outputs": outputs}


def write_numpy(export: PolicyExport, spec: Mapping[str, Any], out: Path) -> list[Path]:
    """``out`` (.npz: the weights and the spec) and the spec beside it (.json)."""
    weights = export.network.get_weights()
    if SPEC_KEY in weights:
        raise ExportError(f"a weight is named {SPEC_KEY!r}, which the bundle keeps for its spec")
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(spec)
    with out.open("wb") as handle:  # np.savez on a path would append .npz to other suffixes
        savez: Any = np.savez  # its stub reads ** of arrays as its bool keyword
        savez(handle, **{SPEC_KEY: np.array(text)}, **weights)
    sidecar = out.with_suffix(".json")
    sidecar.write_text(json.dumps(spec, indent=1) + "\n")
    return [out, sidecar]


def write_onnx(export: PolicyExport, spec: Mapping[str, Any], out: Path,
               normalizer: ObservationNormalizer | None) -> list[Path]:
    """``out`` (.onnx, through torch's exporter) and the spec beside it (.json)."""
    if export.network.spec.recurrent_state_size:
        raise ExportError("an ONNX model of a recurrent (LSTM) policy would need its state as an "
                          "input and an output, which this export does not write yet; export "
                          "it with --format numpy (the bundle carries the state per env)")
    try:
        from coachrl.backend.torch.onnx import export_onnx
    except ImportError as exc:
        raise ExportError(f"ONNX export needs torch, onnx and onnxscript ({exc}); install "
                          "them with: pip install 'coachrl[export]'") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    normalize = None if normalizer is None else (normalizer.mean, normalizer.var,
                                                 normalizer.epsilon, normalizer.clip)
    export_onnx(export.network.spec, export.network.get_weights(), export.action,
                values=list(export.values.values()), observation=observation_from_json(
                    spec["observation"]), normalize=normalize, inputs=list(spec["inputs"]),
                outputs=list(spec["outputs"]), path=out)
    sidecar = out.with_suffix(".json")
    sidecar.write_text(json.dumps(spec, indent=1) + "\n")
    return [out, sidecar]


def export_run(target: str | Path, *, format: str, out: str | Path,
               checkpoint: str = "best") -> list[Path]:
    """Export a run's (or a checkpoint's) policy; returns the files written."""
    from coachrl.api import load
    from coachrl.params.tree import to_jsonable

    if format not in FORMATS:
        raise ConfigError(f"--format {format!r} is not one of {', '.join(FORMATS)}")
    policy = load(target, checkpoint=checkpoint)
    assert not isinstance(policy, ExportedPolicy)
    export = policy.agent.policy_export()
    spec = policy_spec(export, policy.spaces, policy.filters.observations,
                       preset=policy.preset.name, agent=type(policy.preset.agent).agent_path,
                       run_dir=str(policy.run_dir), checkpoint=str(policy.checkpoint),
                       env_steps=policy.env_steps, seed=policy.preset.run.seed,
                       env=to_jsonable(policy.preset.env))
    path = Path(out)
    if format == "numpy":
        return write_numpy(export, spec, path)
    return write_onnx(export, spec, path, policy.filters.observations)


# -- running a bundle ----------------------------------------------------------------------------
def read_spec(path: Path) -> tuple[dict[str, Any], dict[str, NDArray]]:
    """(spec, weights) of a numpy bundle."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{str(path)!r} is not a coachrl numpy bundle: {exc}") from None
    if SPEC_KEY not in arrays:
        raise CheckpointError(f"{str(path)!r} has no {SPEC_KEY}; write it with "
                              "`coachrl export RUN_DIR --format numpy`")
    spec = json.loads(str(arrays.pop(SPEC_KEY)))
    if spec.get("format") != FORMAT:
        raise CheckpointError(f"{str(path)!r} is format {spec.get('format')!r}; this coachrl "
                              f"reads {FORMAT!r}")
    return spec, arrays


class ExportedPolicy:
    """A numpy bundle, acting: the observation filter, the network's numpy forward and the
    action rule, with nothing of torch, the agent or the trainer.

    A recurrent policy remembers: each ``act`` on a batch of N envs' observations carries their
    state to the next (as the agent does while evaluating); ``reset`` starts new episodes, as
    does a batch of another size.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.spec, weights = read_spec(self.path)
        self.observation = observation_from_json(self.spec["observation"])
        self.network = NumpyNetwork(from_json(self.spec["network"], network_classes()))
        self.network.set_weights(weights)
        self.network.set_noise(False)  # NoisyNet layers act with their means, as evaluation
        self.action = cast(GreedyAction, from_json(self.spec["action_rule"], action_classes()))
        normalize = self.spec.get("normalize_observations")
        self.normalizer: ObservationNormalizer | None = None
        if normalize:
            self.normalizer = ObservationNormalizer(tuple(self.observation.shape),
                                                    clip=normalize["clip"],
                                                    epsilon=normalize["epsilon"])
            self.normalizer.mean = np.asarray(normalize["mean"], np.float64)
            self.normalizer.var = np.asarray(normalize["var"], np.float64)
        self.state: NDArray | None = None  # a recurrent policy's state before the next act

    def reset(self, n_envs: int | None = None) -> None:
        """Forget the recurrent state: the next ``act`` starts new episodes (of ``n_envs``)."""
        size = self.network.spec.recurrent_state_size
        self.state = None if n_envs is None or not size else np.zeros((n_envs, size),
                                                                      np.float32)

    def _outputs(self, batch: NDArray, *, advance: bool) -> dict[str, NDArray]:
        """The network's outputs; a recurrent one's from the carried state (``advance``: and
        keep the state after the step)."""
        if not self.network.spec.recurrent_state_size:
            return self.network.predict(batch)
        if self.state is None or len(self.state) != len(batch):
            self.reset(len(batch))
        out = self.network.predict(batch, self.state)
        if advance:
            self.state = out[RECURRENT_STATE]
        return out

    def _batch(self, observations: Any) -> tuple[NDArray, bool]:
        space = self.observation
        if space.is_dict:
            if isinstance(observations, Mapping):
                first = np.asarray(observations[space.fields[0][0]])
                single = first.shape == tuple(space.fields[0][1].shape)
                observations = to_records({k: np.asarray(v)[None] if single else v
                                           for k, v in observations.items()},
                                          np.dtype(space.dtype))
                return observations, single
            array = np.asarray(observations)
            return (array[None], True) if array.ndim == 0 else (array, False)
        array = np.asarray(observations, dtype=np.dtype(space.dtype))
        single = array.shape == tuple(space.shape)
        if single:
            array = array[None]
        if self.normalizer is not None:
            array = self.normalizer(array)
        return array, single

    def act(self, observations: Any, *, deterministic: bool = True) -> NDArray:
        """Actions for a batch of observations (or one); the deterministic action only."""
        if not deterministic:
            raise ConfigError("an exported policy acts deterministically only; "
                              "act with coachrl.load(run_dir) to explore")
        batch, single = self._batch(observations)
        actions = np.asarray(self.action(NUMPY_OPS, self._outputs(batch, advance=True)))
        return actions[0] if single else actions

    def values(self, observations: Any) -> dict[str, NDArray]:
        """The value estimates the bundle carries (``q`` or ``value``); a recurrent policy's
        from the state the next ``act`` would start from (the state is not advanced)."""
        if not self.spec["values"]:
            raise ConfigError(f"{self.path} carries no value estimates (its agent's values "
                              "come from networks the export does not hold, or it has none)")
        batch, single = self._batch(observations)
        out = self._outputs(batch, advance=False)
        return {name: out[output][0] if single else out[output]
                for name, output in self.spec["values"].items()}


def is_exported(target: str | Path) -> bool:
    return Path(target).suffix in (".npz", ".onnx") and Path(target).is_file()


class OnnxPolicy:
    """An exported ONNX model run by ONNX Runtime, with the spec written beside it."""

    def __init__(self, path: str | Path) -> None:
        try:
            import onnxruntime
        except ImportError:
            raise ConfigError("running an ONNX policy needs onnxruntime; install it with: "
                              "pip install 'coachrl[export]'") from None
        self.path = Path(path)
        sidecar = self.path.with_suffix(".json")
        if not sidecar.is_file():
            raise CheckpointError(f"{str(sidecar)!r} is missing: an exported ONNX model's spec "
                                  "is written beside it by `coachrl export`")
        self.spec = json.loads(sidecar.read_text())
        self.observation = observation_from_json(self.spec["observation"])
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # acting batches are small; one thread is fastest
        self.session = onnxruntime.InferenceSession(str(self.path), options,
                                                    providers=["CPUExecutionProvider"])

    def run(self, observations: Any) -> dict[str, NDArray]:
        """Every output of the model by name for a batch of observations."""
        if self.observation.is_dict:
            records = np.asarray(observations)
            feeds = {key: np.ascontiguousarray(records[key]) for key in self.spec["inputs"]}
        else:
            feeds = {"observation": np.asarray(observations,
                                               dtype=np.dtype(self.observation.dtype))}
        results = self.session.run(None, feeds)
        return dict(zip(self.spec["outputs"], results, strict=True))

    def act(self, observations: Any, *, deterministic: bool = True) -> NDArray:
        del deterministic
        return self.run(observations)[ACTION]


def load_exported(path: str | Path) -> ExportedPolicy | OnnxPolicy:
    """A numpy bundle (.npz) or an ONNX model (.onnx) written by ``coachrl export``."""
    return OnnxPolicy(path) if Path(path).suffix == ".onnx" else ExportedPolicy(path)


class _Acting:
    """An exported policy behind the agent interface ``runtime.evaluation.evaluate`` calls."""

    def __init__(self, policy: ExportedPolicy | OnnxPolicy) -> None:
        self.policy = policy

    def act(self, observations: NDArray, *, step: int, explore: bool) -> Any:
        from coachrl.core.batch import ActionInfo

        del step, explore
        return ActionInfo(np.asarray(self.policy.act(observations)), {})

    def start_evaluation(self, n_envs: int) -> None:
        if isinstance(self.policy, ExportedPolicy):
            self.policy.reset(n_envs)


def evaluate_exported(path: str | Path, *, episodes: int, seed: int | None = None) -> Any:
    """Evaluate an exported policy on the env it was trained on, seeded as ``coachrl
    evaluate RUN_DIR --seed`` seeds its evaluation envs (the run's seed by default)."""
    from coachrl.core.environment import VectorEnvironment
    from coachrl.core.seeding import derive_seed
    from coachrl.params.tree import from_jsonable
    from coachrl.registry import env_adapter
    from coachrl.runtime.build import EVAL_STREAM
    from coachrl.runtime.evaluation import evaluate

    policy = load_exported(path)
    if "env" not in policy.spec:
        raise ConfigError(f"{path} records no env (it was not exported from a run)")
    env_params = from_jsonable(policy.spec["env"])
    seed = int(policy.spec.get("seed", 0) if seed is None else seed)
    env = cast(VectorEnvironment, env_adapter()(env_params, seed=derive_seed(seed, EVAL_STREAM),
                                                n_envs=episodes, training=False))
    try:
        return evaluate(cast(Any, _Acting(policy)), env, step=0)
    finally:
        env.close()
