"""Property: no ``key=value`` string makes apply_overrides raise anything but ConfigError."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coachrl.errors import ConfigError
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset

PRESETS = {name: load_preset(name) for name in ("CartPole_DQN", "CartPole_ClippedPPO")}


def _dotted_paths(node: Any, prefix: str = "") -> list[str]:
    paths = []
    for f in dataclasses.fields(node):
        child = getattr(node, f.name)
        paths.append(f"{prefix}{f.name}")
        if dataclasses.is_dataclass(child) and not isinstance(child, type):
            paths += _dotted_paths(child, f"{prefix}{f.name}.")
    return paths


PATHS = sorted({p for preset in PRESETS.values() for p in _dotted_paths(preset)})

VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "nan", "inf", "-inf", "1e400", "-1", "0", "1.5", "true", "none", "[]",
                     "[1,", "{", "{}", '{"_type": "linear"}', '{"_type": "os:system"}',
                     '{"_type": "coachrl.core.schedules:Linear", "start": "x"}', "(1,2)",
                     "[[1]]", '{"a": [1, {"b": null}]}', "1,2,3", "0x10", "1_000", "\x00"]),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
KEYS = st.one_of(
    st.sampled_from(PATHS),
    st.builds(lambda path, tail: f"{path}.{tail}", st.sampled_from(PATHS), st.text(max_size=8)),
    st.text(max_size=20),
)


@pytest.mark.parametrize("name", sorted(PRESETS))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=KEYS, value=VALUES, with_equals=st.booleans())
def test_any_override_string_is_applied_or_rejected_with_a_config_error(
        name: str, key: str, value: str, with_equals: bool) -> None:
    preset = PRESETS[name]
    before = copy.deepcopy(preset)
    assignment = f"{key}={value}" if with_equals else key + value
    try:
        apply_overrides(preset, [assignment])
    except ConfigError as exc:
        assert str(exc)
    assert preset == before
