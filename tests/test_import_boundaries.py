"""The layout's promise, read from the source: generator/ drives nothing above it, and provision/ and
stacks/ see the generator only through its public surface (`generator` and `generator.contract`)."""

from __future__ import annotations

import ast
from pathlib import Path

import generator
import generator.contract

from .conftest import ROOT


def imports(package: str) -> dict[str, set[str]]:
    """Module file -> every absolute module it imports (`from x import y` counts x and x.y)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[str(path.relative_to(ROOT))] = names
    return found


def _top(name: str) -> str:
    return name.split(".")[0]


def test_generator_imports_neither_provision_nor_stacks_nor_the_command_nor_implement():
    wrong = {
        module: sorted(n for n in names if _top(n) in {"provision", "stacks", "fountain", "implement"})
        for module, names in imports("generator").items()
    }
    assert {m: n for m, n in wrong.items() if n} == {}


PUBLIC = {"generator", "generator.contract"}
PUBLIC |= {f"generator.{name}" for name in generator.__all__}
PUBLIC |= {f"generator.contract.{name}" for name in generator.contract.__all__}


def _beyond_contract(package: str, allowed: set[str]) -> dict[str, list[str]]:
    wrong = {
        module: sorted(n for n in names if _top(n) == "generator" and n not in allowed)
        for module, names in imports(package).items()
    }
    return {m: n for m, n in wrong.items() if n}


def test_provision_sees_only_the_bundle_contract():
    contract_only = {n for n in PUBLIC if n.startswith("generator.contract")}
    assert _beyond_contract("provision", contract_only) == {}


def test_stacks_sees_only_the_public_surface():
    assert _beyond_contract("stacks", PUBLIC) == {}


def test_the_check_sees_a_reach_into_internals(tmp_path: Path, monkeypatch):
    """The parser itself: an internal import in a scratch package is reported, a contract import is not."""
    scratch = tmp_path / "scratchpkg"
    scratch.mkdir()
    (scratch / "a.py").write_text(
        "from generator.contract import content_hash\nfrom generator.bundle.kong import TAG\nimport generator.model\n"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert _beyond_contract("scratchpkg", PUBLIC) == {
        "scratchpkg/a.py": ["generator.bundle.kong", "generator.bundle.kong.TAG", "generator.model"]
    }


def test_contract_lists_what_it_exports():
    for name in generator.contract.__all__:
        assert hasattr(generator.contract, name), name
