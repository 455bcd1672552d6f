"""The guard in tests/conftest.py: a run that skips what it must run fails, wherever the skip
happens (a test, or a whole module at collection); only tests marked gpu or netns may skip,
and, outside CI=true, tests marked browser.

Each case runs pytest in a child process on a scratch directory holding a copy of the real
tests/conftest.py, so what is checked is the project's own guard and exit status.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"
PASSING = "def test_passes():\n    assert True\n"


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # hypothesis alone takes seconds
    pytester.makeconftest(CONFTEST.read_text())
    (pytester.path / "tests").mkdir()  # what the conftest imports
    (pytester.path / "tests" / "background.py").write_text(
        (CONFTEST.parent / "background.py").read_text())
    pytester.makeini("[pytest]\naddopts = --strict-markers\n"
                     "markers =\n    gpu: g\n    netns: n\n    slow: s\n    browser: b\n")
    return pytester


def _output(result: pytest.RunResult) -> str:
    return "\n".join(result.outlines + result.errlines)


def test_a_module_level_importorskip_fails_the_run_and_names_the_module(
        project: pytest.Pytester) -> None:
    project.makepyfile(
        test_needs_extra='import pytest\n\npytest.importorskip("surely_not_installed_module")\n\n'
                         + PASSING,
        test_other=PASSING)
    result = project.runpytest_subprocess()
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    output = _output(result)
    assert "FAILED: these were skipped; install what they need" in output
    assert "test_needs_extra.py (whole module skipped at collection" in output
    assert "surely_not_installed_module" in output


@pytest.mark.parametrize("marker", ["", "pytestmark = pytest.mark.gpu\n"])
def test_a_module_level_skip_is_never_allowed_even_under_an_allowed_marker(
        project: pytest.Pytester, marker: str) -> None:
    project.makepyfile(
        test_skipped="import pytest\n\n" + marker
                     + 'pytest.skip("no reason", allow_module_level=True)\n\n' + PASSING,
        test_other=PASSING)
    result = project.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "test_skipped.py (whole module skipped at collection: Skipped: no reason)" in (
        _output(result))


def test_a_run_whose_only_module_is_skipped_fails(project: pytest.Pytester) -> None:
    project.makepyfile(test_needs_extra='import pytest\n\n'
                                        'pytest.importorskip("surely_not_installed_module")\n')
    result = project.runpytest_subprocess()
    assert result.ret not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)
    assert "test_needs_extra.py (whole module skipped at collection" in _output(result)


@pytest.mark.parametrize("body", [
    'def test_skips():\n    pytest.skip("not today")\n',
    '@pytest.mark.skip(reason="not today")\ndef test_skips():\n    pass\n',
    '@pytest.fixture\ndef needs():\n    pytest.skip("not today")\n\n'
    'def test_skips(needs):\n    pass\n',
    '@pytest.mark.slow\ndef test_skips():\n    pytest.skip("not today")\n',
], ids=["in-test", "skip-mark", "in-fixture", "other-marker"])
def test_a_test_that_skips_without_an_allowed_marker_fails_the_run(
        project: pytest.Pytester, body: str) -> None:
    project.makepyfile(test_one="import pytest\n\n" + body + "\n\n" + PASSING)
    result = project.runpytest_subprocess()
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "test_one.py::test_skips (" in _output(result)
    assert "not today" in _output(result)


@pytest.mark.parametrize("marker", ["gpu", "netns"])
def test_a_test_marked_for_missing_hardware_or_root_may_skip(
        project: pytest.Pytester, marker: str) -> None:
    project.makepyfile(test_one=f"import pytest\n\n@pytest.mark.{marker}\n"
                                "def test_skips():\n    pytest.skip('no such hardware')\n\n"
                                + PASSING)
    result = project.runpytest_subprocess()
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.OK
    assert "FAILED: these were skipped" not in _output(result)


@pytest.mark.parametrize(("ci", "outcome"), [("", pytest.ExitCode.OK),
                                             ("true", pytest.ExitCode.TESTS_FAILED)])
def test_a_browser_test_may_skip_outside_ci_only(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str,
        outcome: pytest.ExitCode) -> None:
    monkeypatch.setenv("CI", ci)
    project.makepyfile(test_one="import pytest\n\n@pytest.mark.browser\n"
                                "def test_skips():\n    pytest.skip('no chromium')\n\n"
                                + PASSING)
    result = project.runpytest_subprocess()
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == outcome


def test_a_run_that_collects_nothing_fails(project: pytest.Pytester) -> None:
    project.makepyfile(test_empty='"""No tests here."""\n')
    result = project.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_a_run_that_skips_nothing_passes(project: pytest.Pytester) -> None:
    project.makepyfile(test_one=PASSING)
    result = project.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK


LONG = ("import pytest\n\n@pytest.mark.long\ndef test_long_run():\n    assert True\n\n"
        + PASSING)


def test_a_long_test_is_deselected_unless_asked_for(pytester: pytest.Pytester,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeconftest(CONFTEST.read_text())
    (pytester.path / "tests").mkdir()  # what the conftest imports
    (pytester.path / "tests" / "background.py").write_text(
        (CONFTEST.parent / "background.py").read_text())
    pytester.makeini("[pytest]\naddopts = --strict-markers\nmarkers =\n    long: l\n"
                     "    slow: s\n")
    pytester.makepyfile(test_runs=LONG)
    default = pytester.runpytest_subprocess()
    default.assert_outcomes(passed=1, deselected=1)
    not_slow = pytester.runpytest_subprocess("-m", "not slow")
    not_slow.assert_outcomes(passed=1, deselected=1)
    asked = pytester.runpytest_subprocess("-m", "long")
    asked.assert_outcomes(passed=1, deselected=1)
    assert "test_long_run PASSED" in "\n".join(
        pytester.runpytest_subprocess("-m", "long", "-v").outlines)


def test_an_expected_failure_is_not_a_skip_and_one_that_passes_fails_the_run(
        project: pytest.Pytester) -> None:
    """A strict xfail ran: it is a known gap, not a missing dependency; when the gap closes
    the test passes, and that fails the run until the mark goes (xfail_strict)."""
    project.makeini("[pytest]\naddopts = --strict-markers\nxfail_strict = true\n"
                    "markers =\n    gpu: g\n    netns: n\n    slow: s\n    browser: b\n")
    gap = '@pytest.mark.xfail(reason="known gap")\ndef test_gap():\n    assert False\n\n'
    project.makepyfile(test_one="import pytest\n\n" + gap + PASSING)
    result = project.runpytest_subprocess()
    result.assert_outcomes(passed=1, xfailed=1)
    assert result.ret == pytest.ExitCode.OK
    assert "FAILED: these were skipped" not in _output(result)
    project.makepyfile(test_one="import pytest\n\n" + gap.replace("False", "True") + PASSING)
    result = project.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
