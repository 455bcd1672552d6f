"""Range and choice checks for parameter ``__post_init__``; failures name field, value and range."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any, TypeVar

from coachrl.errors import ConfigError


class FieldError(ConfigError):
    """A check failed on one field; ``validate`` prefixes the dotted path of its parent."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}={message}")
        self.field = field
        self.detail = message


def in_range(field: str, value: float, low: float | None = None, high: float | None = None,
             *, low_open: bool = False) -> None:
    """Raise unless low <(=) value <= high; None leaves a side unbounded; NaN never passes."""
    if value != value:  # NaN
        raise FieldError(field, f"{value!r} is not a number; expected a finite value")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and value > high
    if too_low or too_high:
        left = "" if low is None else f"{low} {'<' if low_open else '<='} "
        right = "" if high is None else f" <= {high}"
        raise FieldError(field, f"{value!r} is out of range; expected {left}{field}{right}")


def positive(field: str, value: float) -> None:
    in_range(field, value, 0, None, low_open=True)


def non_negative(field: str, value: float) -> None:
    in_range(field, value, 0, None)


def one_of(field: str, value: Any, choices: Iterable[Any]) -> None:
    choices = tuple(choices)
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise FieldError(field, f"{value!r} is not a valid choice; expected one of {valid}")


def at_most(field: str, value: float, other_field: str, other: float) -> None:
    if value > other:
        raise FieldError(field, f"{value!r} is larger than {other_field}={other!r}; "
                                f"expected {field} <= {other_field}")


E = TypeVar("E", bound=Enum)


def choice(field: str, value: Any, kind: type[E]) -> E:
    """``value`` as a member of the enum ``kind`` (a member, or its value as text); otherwise
    an error that names the field, the value and every valid choice."""
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(repr(member.value) for member in kind)
        raise FieldError(field, f"{value!r} is not a valid choice; expected one of {choices}") \
            from None
