"""Frozen dataclasses and enums as JSON, and back, by class name from a table the caller gives.

An exported policy describes its network (a ``NetworkSpec`` of heads and losses) and its
greedy rule (an exploration policy) in JSON, so that a process with neither torch nor the
agent's code can rebuild them. Decoding only ever builds classes from the table it is handed,
never from a name found in the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from enum import Enum
from typing import Any

import numpy as np

from coachrl.errors import ConfigError

CLASS, ENUM = "__class__", "__enum__"


def to_json(value: Any) -> Any:
    """``value`` as JSON types: a dataclass as its init fields plus its class name, an enum as
    its value plus its class name, tuples as lists, numpy values as Python ones."""
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {CLASS: type(value).__name__}
        for f in fields(value):
            if f.init:
                out[f.name] = to_json(getattr(value, f.name))
        return out
    if isinstance(value, Enum):
        return {ENUM: type(value).__name__, "value": value.value}
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ConfigError(f"{value!r} ({type(value).__name__}) cannot be written as JSON")


def from_json(data: Any, classes: Mapping[str, type]) -> Any:
    """The value ``to_json`` wrote, with classes looked up in ``classes`` (lists become tuples,
    as the frozen specs hold them)."""
    if isinstance(data, list):
        return tuple(from_json(v, classes) for v in data)
    if not isinstance(data, dict):
        return data
    name = data.get(CLASS, data.get(ENUM))
    if name is None:
        return {k: from_json(v, classes) for k, v in data.items()}
    cls = classes.get(name)
    if cls is None:
        raise ConfigError(f"the file names a class {name!r} this coachrl does not know; "
                          f"known: {', '.join(sorted(classes))}")
    if ENUM in data:
        return cls(data["value"])
    return cls(**{k: from_json(v, classes) for k, v in data.items() if k != CLASS})


def class_table(*roots: type, extra: Iterable[type] = ()) -> dict[str, type]:
    """Name -> class of ``roots``, every subclass of theirs that is loaded, and ``extra``."""
    table: dict[str, type] = {}
    pending = list(roots)
    while pending:
        cls = pending.pop()
        table.setdefault(cls.__name__, cls)
        pending.extend(cls.__subclasses__())
    for cls in extra:
        table.setdefault(cls.__name__, cls)
    return table
