"""The layer table of STYLE.md, enforced: every import in the package is parsed with ``ast``.

Each source file maps to a module name (``agents/dqn.py`` -> ``coachrl.agents.dqn``) and a layer
(the longest matching prefix in ``LAYERS``); each import must be in the layer's allowed list.
Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCE_ROOTS = {  # folder -> the package it installs as (pyproject.toml's package-dir)
    "coachrl": "coachrl",
    "agents": "coachrl.agents",
    "environments": "coachrl.environments",
    "presets": "coachrl.presets",
    "dashboards": "coachrl.dashboards",
}
EVERYWHERE = ("coachrl.errors",)  # the CoachrlError hierarchy is a leaf every layer may raise
BACKEND_INTERFACE = "coachrl.backend"  # the protocols; its implementations are subpackages
ZOO = ("coachrl.agents", "coachrl.presets", "coachrl.environments")


@dataclass(frozen=True)
class Layer:
    """Which coachrl modules a layer may import (prefixes), and exact-only interface modules."""

    allowed: tuple[str, ...]
    interfaces: tuple[str, ...] = ()  # importable as exactly this name, not its subpackages
    forbidden: tuple[str, ...] = ()  # carved out of ``allowed``


FRAMEWORK_ABOVE_RUNTIME = ("coachrl.core", "coachrl.params", "coachrl.registry",
                           "coachrl.networks", "coachrl.memories", "coachrl.exploration",
                           "coachrl.filters", "coachrl.logging", "coachrl.agent",
                           "coachrl.runtime")
AGENT_API = ("coachrl.core", "coachrl.params", "coachrl.networks", "coachrl.memories",
             "coachrl.exploration", "coachrl.filters", "coachrl.agent")

LAYERS: dict[str, Layer] = {
    "coachrl.core": Layer(("coachrl.core",)),
    "coachrl.params": Layer(("coachrl.core", "coachrl.params")),
    "coachrl.registry": Layer(("coachrl.core", "coachrl.params")),
    "coachrl.networks": Layer(("coachrl.core", "coachrl.params", "coachrl.networks")),
    "coachrl.memories": Layer(("coachrl.core", "coachrl.params", "coachrl.memories")),
    "coachrl.exploration": Layer(("coachrl.core", "coachrl.params", "coachrl.exploration")),
    "coachrl.filters": Layer(("coachrl.core", "coachrl.params", "coachrl.filters")),
    "coachrl.logging": Layer(("coachrl.core", "coachrl.params", "coachrl.logging")),
    "coachrl.backend": Layer(("coachrl.core", "coachrl.params", "coachrl.networks",
                              "coachrl.backend")),
    # inference without torch: the numpy backend runs where torch is not installed
    "coachrl.backend.numpy": Layer(("coachrl.core", "coachrl.params", "coachrl.networks",
                                    "coachrl.backend"), forbidden=("coachrl.backend.torch",)),
    "coachrl.agent": Layer(FRAMEWORK_ABOVE_RUNTIME, interfaces=(BACKEND_INTERFACE,),
                           forbidden=("coachrl.runtime",)),
    "coachrl.runtime": Layer(FRAMEWORK_ABOVE_RUNTIME, interfaces=(BACKEND_INTERFACE,)),
    "coachrl.distributed": Layer(("coachrl",), forbidden=(*ZOO, "coachrl.backend.torch")),
    "coachrl": Layer(("coachrl",), forbidden=ZOO),  # cli, commands, errors, __init__
    "coachrl.agents": Layer(AGENT_API, interfaces=(BACKEND_INTERFACE, "coachrl.agents")),
    "coachrl.environments": Layer(("coachrl.core", "coachrl.params", "coachrl.environments")),
    # the registry: ``coachrl.presets()`` (the package, callable) lists every preset
    "coachrl.presets": Layer((*AGENT_API, "coachrl.agents", "coachrl.environments",
                              "coachrl.runtime", "coachrl.presets", "coachrl.registry")),
    "coachrl.dashboards": Layer(("coachrl.core", "coachrl.logging", "coachrl.dashboards")),
}


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def module_name(path: Path) -> str:
    root = path.relative_to(REPO).parts[0]
    parts = [p for p in path.relative_to(REPO / root).with_suffix("").parts if p != "__init__"]
    return ".".join([SOURCE_ROOTS[root], *parts])


def layer_of(module: str) -> str:
    return max((p for p in LAYERS if _within(module, p)), key=len)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    module = module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # `from coachrl import agents` imports coachrl.agents: check the names as modules too
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names
                      if name.startswith("coachrl") and alias.name != "*"]
    return found


def third_party_violation(module: str, name: str) -> str | None:
    top = name.split(".")[0]
    if top == "torch":
        if _within(module, "coachrl.backend.torch"):
            return None
        if _within(module, "coachrl.logging") and _within(name, "torch.utils.tensorboard"):
            return None
        return "torch is imported only under coachrl/backend/torch/ (and torch.utils.tensorboard " \
               "in coachrl/logging/)"
    if top == "ray" and not _within(module, "coachrl.distributed"):
        return "ray is imported only under coachrl/distributed/"
    return None


def _is_module_path(name: str) -> bool:
    """Whether ``name`` names a module (``from pkg import name`` may import a function)."""
    root = name.split(".")
    if root[0] != "coachrl":
        return False
    for folder, package in sorted(SOURCE_ROOTS.items(), key=lambda item: -len(item[1])):
        prefix = package.split(".")
        if root[:len(prefix)] == prefix:
            rest = REPO.joinpath(folder, *root[len(prefix):])
            return rest.with_suffix(".py").is_file() or (rest / "__init__.py").is_file()
    return False


def coachrl_violation(module: str, name: str) -> str | None:
    if not _is_module_path(name) or any(_within(name, p) for p in EVERYWHERE):
        return None
    layer = LAYERS[layer_of(module)]
    if _within(name, module) or name == "coachrl":  # itself, its submodules, the package root
        return None
    if any(_within(name, p) for p in layer.forbidden):
        return f"{layer_of(module)} never imports {name}"
    if name in layer.interfaces:
        return None
    if any(_within(name, p) for p in layer.allowed):
        # an interface prefix inside an allowed prefix is still exact-only for this layer
        if not any(_within(name, i) and name != i for i in layer.interfaces):
            return None
    return (f"{layer_of(module)} may import only "
            f"{', '.join((*layer.allowed, *layer.interfaces))}; not {name}")


def source_files() -> list[Path]:
    files = []
    for folder in SOURCE_ROOTS:
        files += sorted((REPO / folder).rglob("*.py"))
    return files


def violations(path: Path) -> list[str]:
    module = module_name(path)
    found = []
    for line, name in imports(path):
        why = third_party_violation(module, name) or coachrl_violation(module, name)
        if why:
            found.append(f"{path.relative_to(REPO)}:{line}: imports {name}: {why}")
    return found


def test_every_source_folder_is_scanned() -> None:
    names = {module_name(p) for p in source_files()}
    assert {"coachrl.agents.dqn", "coachrl.presets.CartPole_DQN", "coachrl.runtime.loop",
            "coachrl.environments.gym_env", "coachrl.backend.torch.network"} <= names


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_imports_respect_the_layer_table(path: Path) -> None:
    assert violations(path) == []


@pytest.mark.parametrize(("module", "name", "bad"), [
    ("coachrl.agents.dqn", "torch", True),
    ("coachrl.agents.dqn", "coachrl.runtime.loop", True),
    ("coachrl.agents.dqn", "coachrl.backend.torch", True),
    ("coachrl.agents.dqn", "coachrl.backend", False),
    ("coachrl.agents.dqn", "coachrl.agents.clipped_ppo", True),
    ("coachrl.agents.dqn", "coachrl.memories", False),
    ("coachrl.core.spaces", "coachrl.params", True),
    ("coachrl.runtime.loop", "ray", True),
    ("coachrl.runtime.loop", "coachrl.agents.dqn", True),
    ("coachrl.cli", "coachrl.presets", True),
    ("coachrl.logging.tensorboard", "torch.utils.tensorboard", False),
    ("coachrl.logging.tensorboard", "torch.nn", True),
    ("coachrl.backend.torch.network", "torch", False),
    ("coachrl.backend.numpy", "coachrl.backend.torch", True),
    ("coachrl.backend.numpy", "coachrl.networks.plan", False),
    ("coachrl.presets.CartPole_DQN", "coachrl.backend", True),
    ("coachrl.environments.gym_env", "coachrl.agents", True),
    ("coachrl.dashboards.report", "coachrl.agents", True),
    ("coachrl.memories.replay", "coachrl.networks", True),
])
def test_the_checker_flags_what_the_table_forbids(module: str, name: str, bad: bool) -> None:
    why = third_party_violation(module, name) or coachrl_violation(module, name)
    assert (why is not None) == bad, why


def test_importing_coachrl_and_a_preset_imports_neither_ray_nor_torch(tmp_path: Path) -> None:
    code = (
        "import json, sys\n"
        "import coachrl, coachrl.cli, coachrl.presets.CartPole_DQN\n"
        "from coachrl.registry import load_preset, preset_modules\n"
        "for name in preset_modules():\n"
        "    load_preset(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('ray', 'torch'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_every_agent_file_is_a_short_composition() -> None:
    """An agent is one short file over the blocks (issue #15: at most 150 lines, no torch)."""
    long = {path.name: n for path in (REPO / "agents").glob("*.py")
            if (n := len(path.read_text().splitlines())) > 150}
    assert not long, f"agent files over 150 lines: {long}"
