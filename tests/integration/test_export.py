"""``coachrl export``: the numpy bundle and the ONNX model act as the agent does.

Every preset (registered and candidate) is exported with its freshly initialised weights and
observation statistics that are not the identity; on 1,000 observations the bundle's and ONNX
Runtime's actions equal the deterministic actions of the agent acting through torch (where the
scores are not tied within 1e-5) and their value estimates equal the agent's within 1e-5 of
their scale. The bundle runs in
a process where ``import torch`` fails; a trained run's exported policy evaluates to the same
returns as ``coachrl evaluate`` of the run with the same seed.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from coachrl import deploy
from coachrl.agent import Agent, EstimatesValues
from coachrl.cli import main
from coachrl.core.spaces import EnvSpaces, ObservationSpace, spaces_from_gym
from coachrl.errors import ConfigError, ExportError
from coachrl.filters.observation import ObservationNormalizer
from coachrl.params import Preset
from coachrl.params.tree import apply_overrides
from coachrl.registry import env_adapter, load_preset, preset_modules
from coachrl.runtime.build import make_agent, make_backends

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
CANDIDATES = sorted((REPO / "presets" / "_candidates").glob("*.py"))  # presets not registered yet
ZOO = [*sorted(preset_modules()), *(str(path) for path in CANDIDATES)]
REFUSED = {"CartPole_NEC": "differentiable neural dictionaries"}
# ONNX of a recurrent policy would need its state as an input and an output; its numpy bundle
# is checked here as every other's, and its ONNX export must refuse with that reason
ONNX_REFUSED = {"CartPoleNoVel_ClippedPPO_LSTM": "recurrent", "CartPoleNoVel_A2C_LSTM": "recurrent"}
OBSERVATIONS = 1_000
RECURRENT = "CartPoleNoVel_ClippedPPO_LSTM"


def _name(preset: str) -> str:
    return Path(preset).stem


def _agent(preset: Preset, spaces: EnvSpaces | None = None) -> tuple[Agent, EnvSpaces]:
    """The preset's agent with its initial weights, acting through torch: the reference."""
    preset = apply_overrides(preset, ["agent.inference_backend=torch"])
    if spaces is None:
        env = env_adapter()(preset.env, seed=0, n_envs=1)
        spaces = env.spaces
        env.close()
    learner, actor = make_backends(preset)
    shape: Any = SimpleNamespace(spaces=spaces, n_envs=1)
    return make_agent(preset, shape, learner, actor), spaces


def _observations(space: ObservationSpace, rng: np.random.Generator) -> np.ndarray:
    def draw(sub: ObservationSpace) -> np.ndarray:
        if np.dtype(sub.dtype) == np.uint8:
            return rng.integers(0, 256, size=(OBSERVATIONS, *sub.shape), dtype=np.uint8)
        return (2.0 * rng.standard_normal((OBSERVATIONS, *sub.shape)) + 0.5).astype(sub.dtype)

    if not space.is_dict:
        return draw(space)
    records = np.empty(OBSERVATIONS, dtype=np.dtype(space.dtype))
    for key, sub in space.fields:
        records[key] = draw(sub)
    return records


def _normalizer(preset: Preset, space: ObservationSpace,
                observations: np.ndarray) -> ObservationNormalizer | None:
    if not preset.env.filters.normalize_observations:
        return None
    normalizer = ObservationNormalizer(space.shape, clip=preset.env.filters.observation_clip)
    normalizer.update(observations.astype(np.float64) * 1.5 - 0.3)  # not the identity
    return normalizer


def _tied(scores: np.ndarray) -> np.ndarray:
    """Rows whose two best scores lie within 1e-5 of the scores' scale, along any axis of a
    head ensemble: an argmax there may go either way between float implementations."""
    top = np.sort(scores, axis=-1)
    gap = (top[..., -1] - top[..., -2]).reshape(len(scores), -1).min(axis=1)
    if scores.ndim == 3:  # an ensemble [B, heads, actions]: its mean is compared too
        mean = np.sort(scores.mean(axis=1), axis=-1)
        gap = np.minimum(gap, mean[:, -1] - mean[:, -2])
    return gap < 1e-5 * max(1.0, float(np.abs(scores).max()))


def _assert_same_actions(reference: np.ndarray, actions: np.ndarray, scores: np.ndarray,
                         continuous: bool) -> None:
    if continuous:
        np.testing.assert_allclose(actions, reference, rtol=1e-5, atol=1e-5)
        return
    differ = np.asarray(actions) != reference
    assert not (differ & ~_tied(scores)).any(), f"{differ.sum()} actions differ off ties"


def _check(agent: Agent, spaces: EnvSpaces, normalizer: ObservationNormalizer | None,
           observations: np.ndarray, out: Path, *, onnx: bool) -> None:
    export = agent.policy_export()
    spec = deploy.policy_spec(export, spaces, normalizer, preset="test")
    filtered = observations if normalizer is None else normalizer(observations)
    reference = agent.act(filtered, step=0, explore=False).actions
    expected = (agent.value_estimates(filtered) if isinstance(agent, EstimatesValues) and
                export.values else {})
    scores = np.asarray(export.network.predict(filtered)[export.action.scores])
    continuous = np.asarray(reference).dtype.kind == "f"
    deploy.write_numpy(export, spec, out.with_suffix(".npz"))
    bundle = deploy.ExportedPolicy(out.with_suffix(".npz"))
    runners: list[tuple[str, Any]] = [("numpy", bundle)]
    if onnx:
        deploy.write_onnx(export, spec, out.with_suffix(".onnx"), normalizer)
        runners.append(("onnx", deploy.OnnxPolicy(out.with_suffix(".onnx"))))
    for kind, runner in runners:
        _assert_same_actions(reference, runner.act(observations), scores, continuous)
        if not export.values:
            continue
        values = (bundle.values(observations) if kind == "numpy" else
                  {name: runner.run(observations)[name] for name in export.values})
        assert set(values) == set(expected), kind
        for name, value in expected.items():
            scale = max(1.0, float(np.abs(value).max()))
            np.testing.assert_allclose(values[name], value, rtol=0, atol=1e-5 * scale,
                                       err_msg=f"{kind} {name}")


@pytest.mark.parametrize("preset", ZOO, ids=_name)
def test_every_preset_exports_a_numpy_bundle_that_acts_as_the_agent(preset: str,
                                                                     tmp_path: Path) -> None:
    configured = load_preset(preset)
    agent, spaces = _agent(configured)
    if _name(preset) in REFUSED:
        with pytest.raises(ExportError, match=REFUSED[_name(preset)]):
            agent.policy_export()
        return
    observations = _observations(spaces.observation, np.random.default_rng(0))
    _check(agent, spaces, _normalizer(configured, spaces.observation, observations),
           observations, tmp_path / "policy", onnx=False)


def _box(shape: tuple[int, ...], dtype: Any = np.float32) -> Any:
    import gymnasium as gym

    if dtype == np.uint8:
        return gym.spaces.Box(0, 255, shape, np.uint8)
    return gym.spaces.Box(-np.inf, np.inf, shape, np.float32)


def _spaces(observation: Any, action: Any) -> EnvSpaces:
    return spaces_from_gym(observation, action)


def _onnx_cases() -> dict[str, tuple[str, list[str], Any]]:
    """Each network kind of the zoo once: every registered preset, and the head kinds, image
    and Dict inputs they do not cover."""
    import gymnasium as gym

    cases: dict[str, tuple[str, list[str], Any]] = {  # a refused one is tested as refused
        name: (name, [], None) for name in sorted(preset_modules()) if name not in REFUSED}
    cases["Pendulum_ClippedPPO (Gaussian)"] = (
        "CartPole_ClippedPPO", ["env.env_id=Pendulum-v1"], None)
    cases["images_DQN (CNN)"] = ("CartPole_DQN", [], _spaces(
        _box((84, 84, 4), np.uint8), gym.spaces.Discrete(4)))
    cases["dict_PPO (Dict)"] = ("CartPole_ClippedPPO", ["env.filters.normalize_observations="
                                                        "false"], _spaces(
        gym.spaces.Dict({"goal": _box((3,)), "image": _box((4, 36, 36), np.uint8),
                         "state": _box((5,))}), gym.spaces.Discrete(3)))
    return cases


# Cases whose ONNX export another case makes: the same network kind (layers, activations and
# heads; only the sizes differ), the same action and value outputs and the same kind of
# observation. They were about 40 s of a 2,343 s run of the suite; their numpy bundles are
# checked above as every preset's, and test_a_left_out_case_has_the_network_kind_of_its_
# stand_in checks that each pair still matches.
ONNX_STAND_INS = {"LunarLander_DQN": "Acrobot_DDQN",
                  "Acrobot_DDQN_BCQ_BatchRL": "CartPole_DDQN_BCQ_BatchRL",
                  "BitFlip_DQN_HER": "BitFlip_DQN", "CartPole_A3C": "CartPole_A2C",
                  "CartPole_IMPALA": "CartPole_A2C", "CartPole_BC": "CartPole_PG",
                  "LunarLander_ClippedPPO": "CartPole_ClippedPPO",
                  **{name: "CartPole_DQN" for name in ("CartPole_DDQN", "CartPole_MMC",
                                                      "CartPole_Munchausen_DQN", "CartPole_PAL")},
                  **{name: "Pendulum_ClippedPPO" for name in ("Mujoco_ClippedPPO",
                                                             "PyBullet_ClippedPPO")},
                  "Mujoco_TD3": "Mujoco_DDPG", "Pendulum_TD3": "Pendulum_DDPG",
                  "Atari_DDQN": "Atari_DQN", "Atari_IMPALA": "Atari_A3C"}
ONNX_CASES = {case: made for case, made in _onnx_cases().items() if case not in ONNX_STAND_INS}


def _network_kind(case: tuple[str, list[str], Any]) -> tuple[Any, ...]:
    """A case's network with its sizes written as N, its action and value outputs, and its
    kind of observation."""
    source, overrides, spaces = case
    agent, spaces = _agent(apply_overrides(load_preset(source), overrides), spaces)
    export = agent.policy_export()
    observation = spaces.observation
    return (re.sub(r"\d+", "N", repr(export.network.spec)), repr(export.action),
            tuple(export.values), observation.dtype,
            "dict" if observation.is_dict else len(observation.shape))


@pytest.mark.parametrize(("case", "stand_in"), sorted(ONNX_STAND_INS.items()))
def test_a_left_out_case_has_the_network_kind_of_its_stand_in(case: str, stand_in: str) -> None:
    cases = _onnx_cases()
    assert _network_kind(cases[case]) == _network_kind(cases[stand_in])


@pytest.mark.slow
@pytest.mark.parametrize("case", ONNX_CASES)
def test_onnx_and_numpy_exports_equal_the_agent_for_every_network_kind(case: str,
                                                                       tmp_path: Path) -> None:
    source, overrides, spaces = ONNX_CASES[case]
    configured = apply_overrides(load_preset(source), overrides)
    agent, spaces = _agent(configured, spaces)
    observations = _observations(spaces.observation, np.random.default_rng(1))
    normalizer = _normalizer(configured, spaces.observation, observations)
    _check(agent, spaces, normalizer, observations, tmp_path / "policy",
           onnx=case not in ONNX_REFUSED)
    if case in ONNX_REFUSED:
        export = agent.policy_export()
        with pytest.raises(ExportError, match=ONNX_REFUSED[case]):
            deploy.write_onnx(export, deploy.policy_spec(export, spaces, normalizer),
                              tmp_path / "policy.onnx", normalizer)
        assert not (tmp_path / "policy.onnx").exists()


@pytest.mark.slow
def test_exported_policies_evaluate_as_the_run_and_the_bundle_needs_no_torch(
        trained_dqn_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle, model = tmp_path / "policy.npz", tmp_path / "policy.onnx"
    for fmt, path in (("numpy", bundle), ("onnx", model)):
        assert main(["export", str(trained_dqn_run), "--format", fmt, "--out", str(path)]) == 0
    spec = json.loads((tmp_path / "policy.json").read_text())
    assert spec["values"] == {"q": "q"} and spec["outputs"] == ["action", "q"]
    capsys.readouterr()
    means = []
    for target in (trained_dqn_run, bundle, model):
        assert main(["evaluate", str(target), "--episodes", "5", "--seed", "3",
                     "--checkpoint", "best"]) == 0
        means.append(capsys.readouterr().out.strip().splitlines()[-1])
    assert means[0] == means[1] == means[2], means

    observations = np.random.default_rng(0).standard_normal((50, 4)).astype(np.float32)
    expected = deploy.ExportedPolicy(bundle).act(observations)
    script = (
        "import sys; sys.modules['torch'] = None\n"  # import torch now raises ImportError
        "import json, numpy as np, coachrl\n"
        f"policy = coachrl.load({str(bundle)!r})\n"
        "obs = np.array(json.loads(sys.stdin.read()), dtype=np.float32)\n"
        "print(json.dumps(policy.act(obs).tolist()))\n"
        "assert not any(name == 'torch' or name.startswith('torch.') for name, module in "
        "sys.modules.items() if module is not None), 'torch was imported'\n")
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(observations.tolist()),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(json.loads(done.stdout), expected)


def test_export_errors_name_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--format 'tflite' is not one of numpy, onnx"):
        deploy.export_run(tmp_path, format="tflite", out=tmp_path / "x")
    not_a_bundle = tmp_path / "weights.npz"
    np.savez(not_a_bundle, w=np.zeros(3))
    with pytest.raises(Exception, match="has no __spec__"):
        deploy.ExportedPolicy(not_a_bundle)
    onnx_file = tmp_path / "policy.onnx"
    onnx_file.write_bytes(b"")
    import coachrl

    with pytest.raises(ConfigError, match="run it with onnxruntime"):
        coachrl.load(onnx_file)
    with pytest.raises(SystemExit):
        main(["export", str(tmp_path), "--format", "tflite", "--out", "x"])


def test_a_bundle_without_values_says_so(tmp_path: Path) -> None:
    configured = load_preset("Pendulum_SAC")
    agent, spaces = _agent(configured)
    export = agent.policy_export()
    deploy.write_numpy(export, deploy.policy_spec(export, spaces, None), tmp_path / "p.npz")
    policy = deploy.ExportedPolicy(tmp_path / "p.npz")
    assert policy.act(np.zeros(3, np.float32)).shape == (1,)
    with pytest.raises(ConfigError, match="carries no value estimates"):
        policy.values(np.zeros((2, 3), np.float32))
    with pytest.raises(ConfigError, match="acts deterministically only"):
        policy.act(np.zeros(3, np.float32), deterministic=False)


def test_spec_round_trips_every_registered_head() -> None:
    from coachrl.core.serialize import from_json, to_json
    from coachrl.networks.heads import HEADS

    classes = deploy.network_classes()
    for head_class in HEADS.values():
        head = head_class.example()
        assert from_json(json.loads(json.dumps(to_json(head))), classes) == head
        assert dataclasses.is_dataclass(head)


@pytest.mark.parametrize("overrides", [
    ["agent.network.hidden_sizes=[]", "agent.network.post_lstm_sizes=[]"],
    ["agent.network.hidden_sizes=[8]", "agent.network.post_lstm_sizes=[16,12]"],
], ids=["lstm_only", "fc_lstm_fc"])
def test_a_recurrent_bundle_carries_its_state_across_acts_as_the_agent_does(
        overrides: list[str], tmp_path: Path) -> None:
    configured = apply_overrides(load_preset(RECURRENT), overrides)
    agent, spaces = _agent(configured)
    export = agent.policy_export()
    deploy.write_numpy(export, deploy.policy_spec(export, spaces, None), tmp_path / "p.npz")
    bundle = deploy.ExportedPolicy(tmp_path / "p.npz")
    rng = np.random.default_rng(2)
    steps = [rng.standard_normal((5, 2)).astype(np.float32) for _ in range(6)]
    agent.start_evaluation(5)
    for observations in steps:  # the agent's and the bundle's memories move together
        expected_values = agent.value_estimates(observations)["value"]
        np.testing.assert_allclose(bundle.values(observations)["value"], expected_values,
                                   rtol=1e-5, atol=1e-5)
        reference = agent.act(observations, step=0, explore=False).actions
        np.testing.assert_array_equal(bundle.act(observations), reference)
    assert bundle.state is not None and np.abs(bundle.state).max() > 0.01
    remembered = bundle.values(steps[0])["value"]
    bundle.reset()
    fresh = bundle.values(steps[0])["value"]
    np.testing.assert_allclose(fresh, agent.acting.predict(steps[0])["value"], rtol=1e-5,
                               atol=1e-6)
    assert np.abs(fresh - remembered).max() > 1e-4
    with pytest.raises(ExportError, match="recurrent"):
        deploy.write_onnx(export, deploy.policy_spec(export, spaces, None),
                          tmp_path / "p.onnx", None)
