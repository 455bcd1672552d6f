"""Schedules: a value as a function of a step count (epsilon, learning rate, clip range).

Schedules are frozen dataclasses, so they live inside parameter trees and round-trip through JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise


@dataclass(slots=True, frozen=True, kw_only=True)
class Schedule:
    """Base class; ``value(step)`` is the only call. Subclasses are pure functions of ``step``."""

    def value(self, step: int) -> float:
        raise NotImplementedError


@dataclass(slots=True, frozen=True, kw_only=True)
class Constant(Schedule):
    """Always ``constant``."""

    constant: float  # the value at every step

    def value(self, step: int) -> float:
        return self.constant


@dataclass(slots=True, frozen=True, kw_only=True)
class Linear(Schedule):
    """From ``start`` to ``end`` over ``duration`` steps, then ``end``."""

    start: float  # value at step 0
    end: float  # value from step ``duration`` on
    duration: int  # steps to go from start to end

    def value(self, step: int) -> float:
        if self.duration <= 0:
            return self.end
        fraction = min(max(step / self.duration, 0.0), 1.0)
        return self.start + fraction * (self.end - self.start)


@dataclass(slots=True, frozen=True, kw_only=True)
class Piecewise(Schedule):
    """Linear interpolation between ``(step, value)`` points, constant outside them."""

    points: tuple[tuple[int, float], ...] = field(default=((0, 1.0),))  # sorted by step

    def value(self, step: int) -> float:
        points = self.points
        if step <= points[0][0]:
            return points[0][1]
        for (s0, v0), (s1, v1) in pairwise(points):
            if step < s1:
                return v0 + (step - s0) / (s1 - s0) * (v1 - v0)
        return points[-1][1]


@dataclass(slots=True, frozen=True, kw_only=True)
class Exponential(Schedule):
    """``start * decay**step``, never below ``minimum``."""

    start: float  # value at step 0
    decay: float  # multiplicative decay per step, 0 < decay <= 1
    minimum: float = 0.0  # floor

    def value(self, step: int) -> float:
        return max(self.minimum, self.start * math.exp(step * math.log(self.decay)))


SCHEDULE_TYPES: dict[str, type[Schedule]] = {
    cls.__name__.lower(): cls for cls in (Constant, Linear, Piecewise, Exponential)
}
