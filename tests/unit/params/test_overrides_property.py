"""Property: a ``key=value`` string given to apply_overrides is either rejected with a ConfigError
or applied exactly: the field it names holds the value the text spells, in the field's type, and
every other field of the returned preset is unchanged (as is the preset passed in).

The expected value is worked out here from the text with Python's own parsers (int, float, json),
not with coachrl's coercion, except for nested groups, JSON schedules and sequences that are not
plain integers, where a re-parse and the type of what landed are checked.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import json
import math
import re
import types
import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coachrl.core.schedules import Constant, Schedule
from coachrl.errors import ConfigError
from coachrl.params.tree import apply_overrides, coerce
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


def _field_type(root: Any, dotted: str) -> Any:
    *groups, last = dotted.split(".")
    for key in groups:
        root = getattr(root, key)
    return typing.get_type_hints(type(root))[last]


FIELD_TYPES = {path: _field_type(preset, path)
               for preset in PRESETS.values() for path in _dotted_paths(preset)}

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

# the spellings a boolean field takes (case-insensitive), as documented: true/false and friends
BOOLEANS = {"1": True, "true": True, "yes": True, "on": True,
            "0": False, "false": False, "no": False, "off": False}
WORDS = ["relu", "tanh", "huber", "mse", "uniform", "prioritized", "constant", "linear", "numpy",
         "torch", "sync", "async", "cpu", "cuda", "CartPole-v1", "MountainCar-v0"]


def _typed_values(tp: Any) -> st.SearchStrategy[str]:
    """Value strings a field of type ``tp`` may well accept (validation may still refuse)."""
    origin = typing.get_origin(tp)
    if tp is bool:
        return st.sampled_from(sorted(BOOLEANS)).flatmap(
            lambda word: st.sampled_from([word, word.upper(), word.title()]))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from([str(member.value) for member in tp])
    if isinstance(tp, type) and issubclass(tp, int):
        return st.one_of(st.integers(0, 10**7).map(str),
                         st.integers(0, 999).map(lambda n: f"{n}e2"),
                         st.integers(0, 999).map(lambda n: f" {n}.0 "))
    if tp is float:
        return st.one_of(st.floats(-10, 1e4).map(repr), st.sampled_from(["1e-3", "1_000.5", "3"]))
    if tp is str:
        return st.one_of(st.sampled_from(WORDS), st.text(max_size=12))
    if origin is tuple:
        return st.lists(st.integers(1, 512), max_size=4).flatmap(lambda ns: st.sampled_from([
            ",".join(map(str, ns)), json.dumps(ns), "(" + ", ".join(map(str, ns)) + ")"]))
    if origin is dict:
        return st.dictionaries(st.text("abcxyz_", min_size=1, max_size=5),
                               st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                               max_size=3).map(json.dumps)
    if isinstance(tp, type) and issubclass(tp, Schedule):
        fraction = st.floats(0, 1)
        return st.one_of(fraction.map(repr), st.builds(
            lambda a, b, n: json.dumps({"_type": "linear", "start": a, "end": b, "duration": n}),
            fraction, fraction, st.integers(1, 10**5)))
    return st.just("{}")  # a group: its defaults


TYPED = st.sampled_from(sorted(FIELD_TYPES)).flatmap(
    lambda path: st.tuples(st.just(path), _typed_values(FIELD_TYPES[path]), st.just(True)))
# half the examples are junk of every kind, half are values of the right type for the key
OVERRIDES = st.one_of(st.tuples(KEYS, VALUES, st.booleans()), TYPED)
PLAIN_INTS = re.compile(r"\s*(-?[0-9]+\s*(,\s*-?[0-9]+\s*)*)?")


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same type all the way down; NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if dataclasses.is_dataclass(a):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    return bool(a == b)


def _integer(text: str) -> int:
    """An integer literal, or a decimal literal with an integral value ("1e3", "5.0")."""
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise ValueError(f"{text!r} is not a whole number") from None
        return int(number)


def _integers(text: str) -> tuple[int, ...] | None:
    """``1,2``, ``[1, 2]`` or ``(1, 2)`` as a tuple of ints; None for anything fancier."""
    inner = text[1:-1] if len(text) >= 2 and text[0] + text[-1] in ("[]", "()") else text
    if inner[:1] in ("[", "(") or not PLAIN_INTS.fullmatch(inner):
        return None
    return tuple(int(part) for part in re.findall(r"-?[0-9]+", inner))


def _expected(text: str, tp: Any, landed: Any) -> Any:  # noqa: C901 - one branch per type
    """What a field of type ``tp`` must hold after being set to ``text``.

    Raises ValueError or TypeError when ``text`` spells no value of that type.
    """
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):  # X | None: "none"/"null", else an X
        options = [o for o in typing.get_args(tp) if o is not type(None)]
        if text.lower() in ("none", "null") and len(options) < len(typing.get_args(tp)):
            return None
        (option,) = options
        return _expected(text, option, landed)
    if tp is bool:
        if text.lower() not in BOOLEANS:
            raise ValueError(f"not one of {sorted(BOOLEANS)}")
        return BOOLEANS[text.lower()]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(text)
    if isinstance(tp, type) and issubclass(tp, int):  # int and the step units (EnvSteps, ...)
        return tp(_integer(text))
    if tp is float:
        return float(text)
    if tp is str:
        return text
    if origin is dict:
        data = json.loads(text)  # only a JSON object lands: "[]" or '[["k", 1]]' are refused
        assert isinstance(data, dict), f"{text!r} landed as {landed!r}"
        return data
    if origin is tuple and typing.get_args(tp)[:1] == (int,):
        plain = _integers(text)
        if plain is not None:
            return plain
        assert isinstance(landed, tuple) and all(type(v) is int for v in landed), landed
        return coerce(text, tp)  # JSON-ish sequences: a re-parse
    if origin is tuple and typing.get_args(tp)[:1] == (float,):  # e.g. (reached, missed)
        args = typing.get_args(tp)
        values = coerce(text, tuple[float, ...])  # the items, however many
        if args[-1] is not Ellipsis and len(values) != len(args):
            raise ValueError(f"{len(values)} items for a tuple of {len(args)}")
        return values
    if isinstance(tp, type) and issubclass(tp, Schedule):
        if not text.startswith("{"):
            return Constant(constant=float(text))
        assert isinstance(json.loads(text), dict), text
        assert isinstance(landed, Schedule), landed
        return coerce(text, tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        assert isinstance(json.loads(text), dict), text
        assert isinstance(landed, tp), landed
        return coerce(text, tp)
    raise AssertionError(f"no expected value worked out for fields of type {tp}")


def _node(root: Any, keys: list[str]) -> Any:
    for key in keys[:-1]:
        root = getattr(root, key)
    return root


@pytest.mark.parametrize("name", sorted(PRESETS))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(override=OVERRIDES)
def test_any_override_string_is_applied_exactly_or_rejected_with_a_config_error(
        name: str, override: tuple[str, str, bool]) -> None:
    key, value, with_equals = override
    preset = PRESETS[name]
    before = copy.deepcopy(preset)
    assignment = f"{key}={value}" if with_equals else key + value
    try:
        result = apply_overrides(preset, [assignment])
    except ConfigError as exc:
        assert str(exc)
        assert preset == before
        return
    assert preset == before, "apply_overrides changed the preset it was given"
    assert "=" in assignment, f"{assignment!r} has no '=' yet was accepted"
    dotted, text = assignment.split("=", 1)
    keys = dotted.strip().split(".")
    text = text.strip()  # surrounding whitespace is not part of the value
    node = _node(result, keys)
    tp = typing.get_type_hints(type(node))[keys[-1]]
    landed = getattr(node, keys[-1])
    try:
        expected = _expected(text, tp, landed)
    except (ValueError, TypeError) as exc:
        pytest.fail(f"{assignment!r} was accepted though {text!r} is no {tp}: {exc}")
    assert _same(landed, expected), (
        f"{assignment!r} set {dotted.strip()} to {landed!r}, expected {expected!r}")
    # Everything else is as before: the original with that one field replaced by what landed.
    want = copy.deepcopy(preset)
    object.__setattr__(_node(want, keys), keys[-1], landed)
    assert result == want, f"{assignment!r} changed more than {dotted.strip()}"
