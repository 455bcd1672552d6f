"""Options with a fixed set of values are enums that validate on construction; the learning
rate takes any schedule."""

from __future__ import annotations

import json

import pytest

from coachrl.core.schedules import Constant, Linear, Piecewise
from coachrl.errors import ConfigError
from coachrl.params import (
    Activation,
    Device,
    ImageChannels,
    InferenceBackend,
    LearningRateDecay,
    MemoryKind,
    NetworkParams,
    Vectorization,
    apply_overrides,
    to_jsonable,
)
from coachrl.params.base import EnvironmentParams, MemoryParams
from coachrl.registry import load_preset

CHOICES = [  # (--set path, enum, preset)
    ("agent.network.activation", Activation, "CartPole_DQN"),
    ("agent.network.image_channels", ImageChannels, "CartPole_DQN"),
    ("agent.memory.kind", MemoryKind, "CartPole_DQN"),
    ("agent.learning_rate_decay", LearningRateDecay, "CartPole_ClippedPPO"),
    ("agent.inference_backend", InferenceBackend, "CartPole_DQN"),
    ("agent.algorithm.loss", None, "CartPole_DQN"),
    ("env.vectorization", Vectorization, "CartPole_DQN"),
    ("run.device", Device, "CartPole_DQN"),
]


def _get(tree: object, path: str) -> object:
    for part in path.split("."):
        tree = getattr(tree, part)
    return tree


@pytest.mark.parametrize(("path", "kind", "preset"), CHOICES)
def test_a_fixed_choice_is_an_enum_set_by_its_text(path: str, kind, preset: str) -> None:
    value = _get(load_preset(preset), path)
    kind = kind or type(value)
    assert isinstance(value, kind)
    for member in kind:
        chosen = _get(apply_overrides(load_preset(preset), [f"{path}={member.value}"]), path)
        assert chosen is member and chosen == member.value  # equal to its text, too
    with pytest.raises(ConfigError) as caught:
        apply_overrides(load_preset(preset), [f"{path}=nonsense"])
    message = str(caught.value)
    assert "'nonsense'" in message and all(repr(m.value) in message for m in kind)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: NetworkParams(activation="sigmoid"), "activation='sigmoid' is not a valid choice"),
    (lambda: MemoryParams(kind="prio"), "kind='prio' is not a valid choice; expected one of "
                                        "'uniform', 'prioritized'"),
    (lambda: EnvironmentParams(vectorization="threads"), "'sync', 'async'"),
])
def test_params_built_in_python_validate_their_choices(build, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build()


def test_text_given_in_a_preset_file_becomes_the_member() -> None:
    assert NetworkParams(activation="relu").activation is Activation.RELU
    assert json.dumps(to_jsonable(NetworkParams(activation="relu")))  # stored as its text


@pytest.mark.parametrize("schedule", [
    Linear(start=1e-3, end=1e-4, duration=1_000),
    Piecewise(points=((0, 3e-4), (500, 1e-3), (1_000, 0.0))),
    Constant(constant=5e-4),
])
def test_the_learning_rate_takes_any_schedule(schedule) -> None:
    from coachrl.runtime.build import make_agent, make_backends, make_envs

    text = json.dumps({"type": type(schedule).__name__.lower(),
                       **{k: v for k, v in to_jsonable(schedule).items() if k != "_type"}})
    preset = apply_overrides(load_preset("CartPole_DQN"),
                             [f"agent.learning_rate_schedule={text}"])
    assert preset.agent.learning_rate_schedule == schedule
    env, eval_env = make_envs(preset, eval_episodes=1)
    agent = make_agent(preset, env, *make_backends(preset))
    for step in (0, 250, 500, 1_000, 5_000):
        assert agent.learning_rate(step) == pytest.approx(schedule.value(step))
    assert agent.apply_learning_rate(750) == pytest.approx(schedule.value(750))
    for network in agent.trainable_networks():  # the optimisers run at the scheduled rate
        state = network.state_dict()["optimizer"]
        assert state["param_groups"][0]["lr"] == pytest.approx(schedule.value(750))
    env.close()
    eval_env.close()


def test_a_schedule_and_a_decay_together_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"learning_rate_schedule.*must be 'constant', not "
                                          "'linear'"):
        apply_overrides(load_preset("CartPole_ClippedPPO"),
                        ["agent.learning_rate_schedule=0.001"])
