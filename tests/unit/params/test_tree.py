"""Parameter trees: --set coercion, validation errors with paths, JSON round trip."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from coachrl.core.schedules import Constant, Exponential, Linear, Piecewise
from coachrl.core.steps import EnvSteps
from coachrl.errors import ConfigError
from coachrl.params.tree import apply_overrides, from_jsonable, to_jsonable
from coachrl.registry import load_preset

PRESETS = ("CartPole_DQN", "CartPole_ClippedPPO", "Mujoco_TD3")  # Mujoco_TD3: its level_overrides


@pytest.fixture
def dqn():
    return load_preset("CartPole_DQN")


def _get(root: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        root = getattr(root, key)
    return root


@pytest.mark.parametrize(("assignment", "path", "expected"), [
    ("agent.algorithm.batch_size=32", "agent.algorithm.batch_size", 32),
    ("agent.algorithm.batch_size=1e2", "agent.algorithm.batch_size", 100),
    ("agent.learning_rate=5e-4", "agent.learning_rate", 5e-4),
    ("agent.learning_rate=1", "agent.learning_rate", 1.0),
    ("agent.network.separate_towers=true", "agent.network.separate_towers", True),
    ("agent.network.separate_towers=yes", "agent.network.separate_towers", True),
    ("agent.network.separate_towers=0", "agent.network.separate_towers", False),
    ("agent.network.hidden_sizes=32,16", "agent.network.hidden_sizes", (32, 16)),
    ("agent.network.hidden_sizes=[8]", "agent.network.hidden_sizes", (8,)),
    ("agent.network.hidden_sizes=(4, 5, 6)", "agent.network.hidden_sizes", (4, 5, 6)),
    ("schedule.improve_steps=20000", "schedule.improve_steps", EnvSteps(20_000)),
    ("env.env_kwargs={\"length\": 3, \"truncate\": true}", "env.env_kwargs",
     {"length": 3, "truncate": True}),
    ("env.env_id=MountainCar-v0", "env.env_id", "MountainCar-v0"),
    ("agent.exploration.schedule=0.2", "agent.exploration.schedule", Constant(constant=0.2)),
    ('agent.exploration.schedule={"_type": "linear", "start": 0.5, "end": 0.1, "duration": 10}',
     "agent.exploration.schedule", Linear(start=0.5, end=0.1, duration=10)),
    ('agent.exploration.schedule={"type": "exponential", "start": 1, "decay": 0.9}',
     "agent.exploration.schedule", Exponential(start=1.0, decay=0.9)),
    ('agent.exploration.schedule={"_type": "piecewise", "points": [[0, 1.0], [10, 0.1]]}',
     "agent.exploration.schedule", Piecewise(points=((0, 1.0), (10, 0.1)))),
])
def test_override_coerces_the_value_to_the_fields_type(
        dqn, assignment: str, path: str, expected: Any) -> None:
    value = _get(apply_overrides(dqn, [assignment]), path)
    assert value == expected
    assert type(value) is type(expected)


def test_step_fields_keep_their_unit_type(dqn) -> None:
    value = apply_overrides(dqn, ["schedule.improve_steps=2e4"]).schedule.improve_steps
    assert isinstance(value, EnvSteps) and value == 20_000


@pytest.mark.parametrize(("assignment", "suggestion", "level", "valid_key"), [
    ("agent.learnin_rate=1e-3", "agent.learning_rate", "agent", "inference_backend"),
    ("agent.algoritm.discount=0.9", "agent.algorithm", "agent", "exploration"),
    ("shedule.improve_steps=10", "schedule", "top level", "validation"),
    ("agent.algorithm.batchsize=8", "agent.algorithm.batch_size", "agent.algorithm",
     "target_update_tau"),
])
def test_unknown_key_suggests_the_closest_and_lists_valid_keys(
        dqn, assignment: str, suggestion: str, level: str, valid_key: str) -> None:
    with pytest.raises(ConfigError) as error:
        apply_overrides(dqn, [assignment])
    message = str(error.value)
    assert f"did you mean '{suggestion}'?" in message
    assert f"Valid keys at '{level}'" in message
    assert valid_key in message


def test_unknown_key_without_a_close_match_still_lists_valid_keys(dqn) -> None:
    with pytest.raises(ConfigError, match=r"unknown parameter 'agent\.zzzz'\. Valid keys at "
                                          r"'agent': algorithm, network, learning_rate"):
        apply_overrides(dqn, ["agent.zzzz=1"])


@pytest.mark.parametrize(("assignment", "fragment"), [
    ("agent.learning_rate=abc", "is not a valid float"),
    ("agent.algorithm.batch_size=1.5", "is not a valid int"),
    ("agent.algorithm.batch_size=true", "is not a valid int"),
    ("agent.network.separate_towers=maybe", "is not a boolean"),
    ("schedule.improve_steps=ten", "is not a valid EnvSteps"),
    ("agent.network.hidden_sizes=a,b", "is not a valid tuple"),
    ('agent.exploration.schedule={"_type": "bogus"}', "unknown schedule type 'bogus'"),
    ("agent.learning_rate", "has no '='"),
    ('env.env_kwargs=[["length", 5]]', "is not a JSON object"),
    ("env.env_kwargs=[]", "is not a JSON object"),
    ("agent.learning_rate.x=1", "is a value, not a group"),
    ("agent.adam_epsilon..=1", "is a value, not a group"),
    ("agent.exploration.schedule.end.x=1", "is a value, not a group"),
])
def test_a_value_of_the_wrong_type_is_a_config_error(dqn, assignment: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        apply_overrides(dqn, [assignment])


@pytest.mark.parametrize(("assignment", "fragment"), [
    ("agent.learning_rate=-1e-3", "agent.learning_rate=-0.001 is out of range; expected 0 < "),
    ("agent.algorithm.discount=1.3", "agent.algorithm.discount=1.3 is out of range; "
                                     "expected 0.0 <= discount <= 1.0"),
    ("agent.algorithm.batch_size=200000", "batch_size=200000 is larger than "
                                          "memory.capacity=100000"),
    ("agent.memory.capacity=10", "batch_size=64 is larger than memory.capacity=10"),
    ("agent.learning_rate=nan", "agent.learning_rate=nan is not a number"),
    ("agent.algorithm.discount=NaN", "agent.algorithm.discount=nan is not a number"),
    ("agent.network.activation=swish", "'swish' is not one of 'tanh', 'relu', 'elu', 'gelu'"),
    ("env.n_envs=0", "env.n_envs=0 is out of range"),
])
def test_an_out_of_range_value_names_the_field_and_the_range(
        dqn, assignment: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as error:
        apply_overrides(dqn, [assignment])
    assert fragment in str(error.value)


@pytest.mark.parametrize("assignments", [
    ["agent.learning_rate=0.01", "agent.algorithm.discount=1.3"],
    ["agent.learning_rate=0.01", "agent.nope=1"],
    ["agent.network.hidden_sizes=8", "agent.learning_rate=x"],
])
def test_a_rejected_override_leaves_the_original_preset_untouched(
        dqn, assignments: list[str]) -> None:
    before = copy.deepcopy(dqn)
    with pytest.raises(ConfigError):
        apply_overrides(dqn, assignments)
    assert dqn == before
    assert load_preset("CartPole_DQN") == before


def test_a_successful_override_returns_a_copy(dqn) -> None:
    changed = apply_overrides(dqn, ["agent.learning_rate=0.01"])
    assert changed.agent.learning_rate == 0.01
    assert dqn.agent.learning_rate == 2.3e-3


@pytest.mark.parametrize("name", PRESETS)
def test_json_round_trip_equals_the_original(name: str) -> None:
    preset = load_preset(name)
    text = json.dumps(to_jsonable(preset))
    restored = from_jsonable(json.loads(text))
    assert restored == preset
    assert type(restored.agent) is type(preset.agent)
    assert type(restored.schedule.improve_steps) is EnvSteps


def test_from_jsonable_refuses_unknown_fields(dqn) -> None:
    data = to_jsonable(dqn)
    data["schedule"]["bogus"] = 1
    with pytest.raises(ValueError, match=r"unknown fields \['bogus'\] for ScheduleParams"):
        from_jsonable(data)
