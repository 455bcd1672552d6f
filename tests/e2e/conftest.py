"""The golden runs start with the first e2e test (tests/e2e/golden.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.golden import SUMMARY, Golden, start


@pytest.fixture(scope="session", autouse=True)
def golden_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[Golden]:
    """Every preset this session selected for the golden test, training in the background."""
    golden = start(request.session, tmp_path_factory)
    yield golden
    golden.stop()
    SUMMARY[:] = golden.summary()  # printed by tests/conftest.py's terminal summary
