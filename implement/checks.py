"""The gate an answer must pass: parse, ruff, the generated tests and Schemathesis for its operation,
and the service's own acceptance checks (services/<service>/checks/test_*.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from generator import build
from generator.writer import write_tree

# The rules that find real faults in a single module; the layout rules (I, E501) need the whole tree, and
# the template imports every model of the signatures, which an answer need not use (F401).
_RUFF = ["check", "--isolated", "--select", "E,F,B", "--ignore", "E501,B008,F401", "--target-version", "py311"]
_TAIL = 6000
# A build is not thread-safe: the migration replay binds alembic's module-level `op` proxy
# (`Operations.context`, generator/migrations.py), so two services' sessions building at once sent one's
# CREATE TABLE to the other's database ("table already exists"). Builds take turns; the tests do not.
_BUILDING = threading.Lock()


@dataclass
class CheckResult:
    passed: list[str] = field(default_factory=list)
    failed: str | None = None  # the check that failed
    output: str = ""  # what goes back to the model

    @property
    def ok(self) -> bool:
        return self.failed is None


@dataclass(frozen=True)
class Target:
    """What is being checked: one domain function of one service of a project."""

    specs: Path
    project_root: Path
    handlers: Path  # folder of services' hand-written folders (the project's services/)
    slug: str
    package: str
    func: str
    operations: tuple[tuple[str, str, str | None], ...]  # (version label, operationId, API-key header)
    # Settings the checks run with: where the services this one calls answer (implement/dependencies.py).
    env: tuple[tuple[str, str], ...] = ()


def ruff_findings(source: str) -> list[str]:
    """ruff's findings (code and message, no line) for a module's text."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *_RUFF, "--output-format", "concise", "--stdin-filename", "domain.py", "-"],
        input=source,
        capture_output=True,
        text=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("domain.py:")]
    return [line.split(" ", 1)[1] if " " in line else line for line in lines]


def check_lint(base: str, candidate: str) -> str | None:
    """ruff findings the candidate adds to the module (what a person left there is not the answer's fault)."""
    before = Counter(ruff_findings(base))
    new = [f for f in ruff_findings(candidate) if before[f] <= 0 or before.subtract([f])]
    return "\n".join(new) or None


def schemathesis_module(target: Target, examples: int, seed: int) -> str:
    """A test module running Schemathesis (all checks, fixed seed) on just this operation, per version."""
    lines = [
        '"""Schemathesis on one operation (written by fountain implement for a candidate answer)."""',
        "",
        "from pathlib import Path",
        "",
        "import schemathesis",
        "from hypothesis import HealthCheck, settings",
        "from schemathesis import GenerationMode",
        "from schemathesis.core.failures import FailureGroup",
        "",
        "from .conftest import API_KEY, APP",
        "",
    ]
    for index, (label, operation_id, header) in enumerate(target.operations):
        lines += [
            f"from {target.package} import {label} as _v{index}",
            f"from .test_{label}_conformance import _allowed as _allowed{index}",
            "",
            f'schema{index} = schemathesis.openapi.from_path(Path(_v{index}.__file__).parent / "openapi.json")',
            f"schema{index}.app = APP",
            f'schema{index}.config.update(base_url="http://testserver/{label}")',
            f"schema{index}.config.generation.update(modes=list(GenerationMode), max_examples={examples})",
            f"schema{index}.config.seed = {seed}",
            "",
            "",
            f"@schema{index}.include(operation_id={operation_id!r}).parametrize()",
            f"@settings(max_examples={examples}, derandomize=True, deadline=None, "
            "suppress_health_check=list(HealthCheck))",
            f"def test_implement_{label}_{index}(case):",
            "    # Swap a generated key for the real one; a case that leaves the key out tests its absence.",
            (
                f"    headers = {{{header!r}: API_KEY}} if {header!r} in (case.headers or {{}}) else {{}}"
                if header
                else "    headers = {}"
            ),
            "    try:",
            "        case.call_and_validate(headers=headers)",
            "    except FailureGroup as group:",
            f"        rest = [f for f in group.exceptions if not _allowed{index}(case, f)]",
            "        if rest:",
            "            raise FailureGroup(rest, group.message) from None",
            "",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def run_checks(target: Target, candidate: str, base: str, *, examples: int, seed: int, timeout: float) -> CheckResult:
    """Every check, cheapest first; the first failure stops the rest and its output is what the model sees."""
    result = CheckResult()
    findings = check_lint(base, candidate)
    if findings:
        return CheckResult(result.passed, "ruff", f"ruff check found:\n{findings}")
    result.passed.append("ruff")
    with tempfile.TemporaryDirectory(prefix=f"fountain-implement-{target.slug}-") as scratch:
        tree = _tree_with(target, candidate, Path(scratch), examples, seed)
        extra = sorted(p.stem for p in (tree / "tests").glob("test_implement_check_*.py"))
        ids = sorted({op for _, op, _ in target.operations})
        selection = f"(({' or '.join(ids)}) and not stub_answers_501) or test_implement_"
        env = {**os.environ, **dict(target.env), "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("TEST_DATABASE_URL", None)
        try:
            run = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-q",
                    "-x",
                    "-p",
                    "no:cacheprovider",
                    "--tb=short",
                    "tests",
                    "-k",
                    selection,
                ],
                cwd=tree,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return CheckResult(result.passed, "tests", f"the tests did not finish within {timeout:.0f} s")
    names = ["generated tests", "schemathesis", *(e.removeprefix("test_implement_check_") for e in extra)]
    if run.returncode != 0:
        failed = _which(run.stdout, extra)
        return CheckResult(result.passed, failed, f"{failed} failed:\n{_failures(run.stdout + run.stderr)}")
    result.passed += names
    return result


def _failures(output: str) -> str:
    """pytest's failure report from its start (the assertion comes first), at most _TAIL characters."""
    start = output.find("= FAILURES =")
    start = output.rfind("\n", 0, start) + 1 if start >= 0 else max(0, len(output) - _TAIL)
    return output[start : start + _TAIL]


def _which(output: str, extra: list[str]) -> str:
    """Name the failing check from pytest's summary line."""
    for line in output.splitlines():
        if line.startswith(("FAILED", "ERROR")):
            for name in extra:
                if name in line:
                    return name.removeprefix("test_implement_check_")
            return "schemathesis" if "test_implement_schemathesis" in line else "generated tests"
    return "tests"


def _tree_with(target: Target, candidate: str, scratch: Path, examples: int, seed: int) -> Path:
    """The service's generated tree with the candidate as its domain module, plus the checks' test files."""
    handlers = scratch / "handlers"
    shutil.copytree(target.handlers / target.slug, handlers / target.slug, ignore=shutil.ignore_patterns("__pycache__"))
    (handlers / target.slug / "domain.py").write_text(candidate, encoding="utf-8")
    with _BUILDING:
        built = build(target.specs, target.project_root, handlers_dir=handlers)
    tree = scratch / "tree"
    write_tree(tree, built.trees[target.slug])
    tests = tree / "tests"
    (tests / "test_implement_schemathesis.py").write_text(schemathesis_module(target, examples, seed), encoding="utf-8")
    for check in sorted((target.handlers / target.slug / "checks").glob("test_*.py")):
        shutil.copy(check, tests / f"test_implement_check_{check.stem.removeprefix('test_')}.py")
    return tree
