"""Schedules: constant, linear (including duration 0 and clamping), piecewise, exponential."""

from __future__ import annotations

import math

import pytest

from coachrl.core.schedules import Constant, Exponential, Linear, Piecewise


@pytest.mark.parametrize("step", [0, 1, 10_000, -5])
def test_constant_is_the_same_at_every_step(step: int) -> None:
    assert Constant(constant=0.3).value(step) == 0.3


@pytest.mark.parametrize(("step", "expected"), [
    (0, 1.0), (25, 0.75), (50, 0.5), (100, 0.0), (101, 0.0), (10_000, 0.0), (-10, 1.0),
])
def test_linear_interpolates_then_clamps_to_end(step: int, expected: float) -> None:
    assert Linear(start=1.0, end=0.0, duration=100).value(step) == pytest.approx(expected)


@pytest.mark.parametrize("step", [0, 1, 1000])
def test_linear_with_zero_duration_is_the_end_value(step: int) -> None:
    assert Linear(start=1.0, end=0.05, duration=0).value(step) == 0.05


def test_linear_can_increase() -> None:
    assert Linear(start=0.0, end=2.0, duration=4).value(1) == pytest.approx(0.5)


@pytest.mark.parametrize(("step", "expected"), [
    (-1, 1.0), (0, 1.0), (5, 0.5), (10, 0.0), (15, 0.5), (20, 1.0), (100, 1.0),
])
def test_piecewise_interpolates_between_points_and_is_constant_outside(
        step: int, expected: float) -> None:
    schedule = Piecewise(points=((0, 1.0), (10, 0.0), (20, 1.0)))
    assert schedule.value(step) == pytest.approx(expected)


def test_piecewise_starting_later_holds_the_first_value_before_it() -> None:
    assert Piecewise(points=((100, 0.2), (200, 0.4))).value(50) == 0.2
    assert Piecewise(points=((100, 0.2), (200, 0.4))).value(150) == pytest.approx(0.3)


@pytest.mark.parametrize(("step", "expected"), [
    (0, 1.0), (1, 0.5), (2, 0.25), (3, 0.125), (4, 0.1), (50, 0.1),
])
def test_exponential_decays_by_the_factor_per_step_down_to_the_floor(
        step: int, expected: float) -> None:
    assert Exponential(start=1.0, decay=0.5, minimum=0.1).value(step) == pytest.approx(expected)


def test_exponential_without_floor_matches_the_closed_form() -> None:
    assert Exponential(start=2.0, decay=0.99).value(300) == pytest.approx(2.0 * 0.99**300)
    assert math.isclose(Exponential(start=2.0, decay=1.0).value(10**6), 2.0)
