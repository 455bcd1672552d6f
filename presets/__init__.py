"""Tuned presets, installed as ``coachrl.presets``; each module defines ``preset``.

The package is also ``coachrl.presets()`` of the Python API (docs/python_api.md): calling it
lists every preset name ``coachrl.train`` accepts, built-in and from installed packages. (Once
this package is imported, Python binds ``coachrl.presets`` to it, so it answers the call itself.)
"""

from __future__ import annotations

import sys
import types


class _PresetPackage(types.ModuleType):
    """This package, callable: ``coachrl.presets()`` -> the preset names."""

    def __call__(self) -> list[str]:
        from coachrl.registry import preset_modules

        return sorted(preset_modules())


sys.modules[__name__].__class__ = _PresetPackage
