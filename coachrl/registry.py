"""Name -> thing lookups for presets, agents and env adapters, through ``coachrl.*`` entry points.

The framework never imports the zoo by name: the built-in agents, presets and environments
declare themselves in pyproject.toml's entry points, exactly as a third-party package would.
"""

from __future__ import annotations

import copy
import difflib
import importlib
import importlib.util
import pkgutil
import sys
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from coachrl.errors import ConfigError, PresetNotFound
from coachrl.params.base import Preset
from coachrl.params.tree import load_class

PRESET_GROUP = "coachrl.presets"  # entry point value: a package whose modules are presets
ENV_GROUP = "coachrl.environments"  # entry point value: "module:Class" of a VectorEnvironment
LAYOUT_GROUP = "coachrl.layouts"  # entry point value: "module:function" returning a layout


@cache
def preset_modules() -> dict[str, str]:
    """Preset name -> module path, over every package registered in the presets group."""
    found: dict[str, str] = {}
    for ep in entry_points(group=PRESET_GROUP):
        package = importlib.import_module(ep.value)
        for info in pkgutil.iter_modules(package.__path__):
            if not info.name.startswith("_"):
                found[info.name] = f"{ep.value}.{info.name}"
    return found


def _from_file(path: Path) -> Any:
    if not path.is_file():
        raise PresetNotFound(f"preset file {str(path)!r} does not exist")
    name = f"coachrl_user_preset_{path.stem}"
    folder = str(path.resolve().parent)
    if folder not in sys.path:  # as `python my_preset.py` would: modules beside it import
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclass and JSON round trip need the module importable
    spec.loader.exec_module(module)
    return module


def load_preset(name: str) -> Preset:
    """A preset by registered name or by path to a ``.py`` file defining ``preset``."""
    if name.endswith(".py") or "/" in name:
        module = _from_file(Path(name))
        label = Path(name).stem
    else:
        modules = preset_modules()
        if name not in modules:
            # by lower-case spelling: a name that differs in case only comes first
            folded = {known.lower(): known for known in modules}
            close = [folded[match] for match in
                     difflib.get_close_matches(name.lower(), list(folded), n=3, cutoff=0.5)]
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise PresetNotFound(f"unknown preset {name!r}{hint} (coachrl presets lists all)")
        module = importlib.import_module(modules[name])
        label = name
    preset = getattr(module, "preset", None)
    if not isinstance(preset, Preset):
        raise PresetNotFound(f"{name!r} defines no `preset = Preset(...)`")
    preset = copy.deepcopy(preset)  # the caller's to change: the module's stays as written
    preset.name = preset.name or label
    return preset


@cache
def env_adapters() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENV_GROUP)}


def env_adapter(name: str = "gymnasium") -> Any:
    """The VectorEnvironment class registered under ``name``."""
    adapters = env_adapters()
    if name not in adapters:
        raise ConfigError(f"unknown environment adapter {name!r}; expected one of "
                          f"{', '.join(sorted(adapters)) or '(none installed)'}")
    return load_class(adapters[name])


def run_layouts() -> dict[str, Any]:
    """The custom-scalars layout every run writes: the union of the registered layouts."""
    merged: dict[str, Any] = {}
    for ep in sorted(entry_points(group=LAYOUT_GROUP), key=lambda ep: ep.name):
        merged.update(ep.load()())
    return merged
