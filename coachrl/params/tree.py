"""Parameter trees: dotted overrides with type coercion, validation with paths, JSON round trip."""

from __future__ import annotations

import copy
import dataclasses
import difflib
import enum
import importlib
import json
import types
import typing
from functools import cache
from typing import Any, TypeVar

from coachrl.core.schedules import SCHEDULE_TYPES, Constant, Schedule
from coachrl.errors import ConfigError
from coachrl.params.check import FieldError

TYPE_KEY = "_type"
T = TypeVar("T")


@cache
def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def field_names(obj: Any) -> list[str]:
    return [f.name for f in dataclasses.fields(obj)]


def _describe(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce_schedule(text: Any) -> Schedule:
    if isinstance(text, Schedule):
        return text
    if isinstance(text, int | float):
        return Constant(constant=float(text))
    data = json.loads(text) if isinstance(text, str) and text.strip().startswith("{") else None
    if isinstance(text, dict):
        data = text
    if data is None:
        return Constant(constant=float(text))
    data = dict(data)
    kind = str(data.pop(TYPE_KEY, data.pop("type", ""))).lower().rsplit(":", 1)[-1].lower()
    if kind not in SCHEDULE_TYPES:
        raise ValueError(f"unknown schedule type {kind!r}; "
                         f"expected one of {sorted(SCHEDULE_TYPES)}")
    if "points" in data:
        data["points"] = tuple(tuple(p) for p in data["points"])
    return SCHEDULE_TYPES[kind](**data)


def _coerce_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{value!r} is not a boolean (true/false)")


def _parse_sequence(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    text = str(value).strip()
    if text.startswith(("[", "(")):
        return list(json.loads(text.replace("(", "[").replace(")", "]")))
    return [] if not text else [part.strip() for part in text.split(",")]


def _coerce_sequence(value: Any, origin: type, args: tuple[Any, ...]) -> Any:
    """A list or tuple of ``args``' item types; a fixed-length tuple type checks the count."""
    values = _parse_sequence(value)
    if origin is tuple and len(args) > 1 and args[-1] is not Ellipsis:  # tuple[float, float]
        if len(values) != len(args):
            raise ValueError(f"{value!r} has {len(values)} items; expected {len(args)}")
        return tuple(coerce(v, t) for v, t in zip(values, args, strict=True))
    item_type = args[0] if args else str
    items = [coerce(v, item_type) for v in values]
    return tuple(items) if origin is tuple else items


def _json_item(item: Any, tp: Any) -> Any:
    """A JSON object's value as type ``tp``: a string field takes a JSON string only (null or 1
    is refused, not turned into "None" or "1")."""
    if tp is str and not isinstance(item, str):
        raise ValueError(f"{json.dumps(item)} is not a string")
    return coerce(item, tp)


def coerce(value: Any, tp: Any) -> Any:  # noqa: C901 - one branch per supported type
    """Convert ``value`` (a CLI string or a JSON value) to type ``tp``; raise ValueError."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            if type(None) in options:
                return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return coerce(value, option)
            except (ValueError, TypeError) as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors))
    if origin in (tuple, list):
        return _coerce_sequence(value, origin, typing.get_args(tp))
    if origin is dict:
        data = json.loads(value) if isinstance(value, str) else value
        if not isinstance(data, dict):
            raise ValueError(f"{value!r} is not a JSON object such as {{\"key\": 1}}")
        args = typing.get_args(tp)  # values as their declared type (a tuple from a JSON list)
        if not args:
            return dict(data)
        return {key: _json_item(item, args[1]) for key, item in data.items()}
    if tp is Any or tp is object:
        return value
    if isinstance(tp, type) and issubclass(tp, Schedule):
        return _coerce_schedule(value)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return from_jsonable(json.loads(value) if isinstance(value, str) else value, tp)
    if tp is bool:
        return _coerce_bool(value)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        if isinstance(value, tp):
            return value
        choices = [member.value for member in tp]
        if value not in choices:
            raise ValueError(f"{value!r} is not one of {', '.join(repr(c) for c in choices)}")
        return tp(value)
    if isinstance(tp, type) and issubclass(tp, int):
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not an integer")
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{value!r} is not an integer")
        decimal = isinstance(value, str) and any(c in value for c in ".eE")
        number = float(value) if decimal else value
        if isinstance(number, float) and not number.is_integer():
            raise ValueError(f"{value!r} is not an integer")
        return tp(int(number))
    if tp is float:
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a number")
        return float(value)
    if tp is str:
        return str(value)
    raise TypeError(f"cannot parse values of type {_describe(tp)}")


def validate(obj: Any, path: str = "") -> None:
    """Re-run ``__post_init__`` checks over the tree; errors carry the dotted path of the field."""
    for name in field_names(obj):
        child = getattr(obj, name)
        if dataclasses.is_dataclass(child) and not isinstance(child, type | Schedule):
            validate(child, f"{path}{name}.")
    try:
        if hasattr(type(obj), "__post_init__"):
            obj.__post_init__()
    except FieldError as exc:
        raise ConfigError(f"{path}{exc.field}={exc.detail}") from None


def _unknown_key(node: Any, key: str, prefix: str) -> ConfigError:
    valid = field_names(node)
    close = difflib.get_close_matches(key, valid, n=1)
    hint = f"; did you mean '{prefix}{close[0]}'?" if close else ""
    return ConfigError(
        f"unknown parameter '{prefix}{key}'{hint or '.'} Valid keys at "
        f"'{prefix.rstrip('.') or 'top level'}': {', '.join(valid)}"
    )


def apply_override(root: Any, assignment: str) -> None:
    """Apply one ``a.b.c=value`` to ``root`` in place, parsing value to the field's type."""
    if "=" not in assignment:
        raise ConfigError(f"override {assignment!r} has no '='; expected key=value, "
                          "for example agent.learning_rate=5e-4")
    dotted, text = assignment.split("=", 1)
    keys = dotted.strip().split(".")
    node, prefix = root, ""
    for key in keys[:-1]:
        if not dataclasses.is_dataclass(node) or isinstance(node, Schedule):
            raise ConfigError(f"'{prefix.rstrip('.')}' is a value, not a group; "
                              f"cannot set '{dotted}'")
        if key not in field_names(node):
            raise _unknown_key(node, key, prefix)
        node, prefix = getattr(node, key), f"{prefix}{key}."
    last = keys[-1]
    if not dataclasses.is_dataclass(node) or isinstance(node, Schedule):
        raise ConfigError(f"'{prefix.rstrip('.')}' is a value, not a group; cannot set '{dotted}'")
    if last not in field_names(node):
        raise _unknown_key(node, last, prefix)
    node_type: type = type(node)
    tp = _field_types(node_type)[last]
    try:
        value = coerce(text.strip(), tp)
    except (ValueError, TypeError, KeyError, IndexError, ImportError, AttributeError) as exc:
        raise ConfigError(f"{dotted}={text!r} is not a valid {_describe(tp)}: {exc}") from None
    # Frozen groups (exploration policies, schedules' owners) are private copies here, since
    # apply_overrides works on a deep copy, so setting the field in place is safe.
    object.__setattr__(node, last, value)


def apply_overrides(root: T, assignments: list[str]) -> T:
    """Return a copy of ``root`` with every override applied and the whole tree validated.

    ``root`` itself is never changed, so a rejected override leaves nothing half-applied.
    """
    result = copy.deepcopy(root)
    for assignment in assignments:
        apply_override(result, assignment)
    try:
        validate(result)
    except ConfigError:
        raise
    except (ValueError, TypeError, IndexError, ArithmeticError) as exc:
        raise ConfigError(f"overrides {assignments} give an invalid configuration: {exc}") from None
    return result


def to_jsonable(obj: Any) -> Any:
    """Dataclass trees to JSON-ready dicts; each dataclass records its class as ``_type``."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {TYPE_KEY: f"{type(obj).__module__}:{type(obj).__qualname__}"}
        for name in field_names(obj):
            out[name] = to_jsonable(getattr(obj, name))
        return out
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, bool | str | type(None)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")


def load_class(path: str) -> type:
    """Import ``module:Qualname``."""
    module_name, _, qualname = path.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def from_jsonable(data: Any, expected: type | None = None) -> Any:
    """Inverse of ``to_jsonable`` for dataclass trees."""
    if not isinstance(data, dict):
        raise ValueError(f"expected an object for {_describe(expected)}, got {data!r}")
    cls = load_class(data[TYPE_KEY]) if TYPE_KEY in data else expected
    if cls is None or not dataclasses.is_dataclass(cls):
        raise ValueError(f"object {data!r} names no parameter class in {TYPE_KEY}")
    hints = _field_types(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = coerce(data[f.name], hints[f.name])
    unknown = set(data) - set(kwargs) - {TYPE_KEY}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)} for {cls.__name__}")
    return cls(**kwargs)
