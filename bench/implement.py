"""`fountain implement` over every stub operation against the scripted OpenAI-compatible server, then the rerun.

A copy of the project whose hand-written domain modules are the generator's stubs again; the scripted
answers are the hand-written functions (tests/implement_answers.py). Prints, for the full run: API calls,
rounds per operation, wall time; and for the rerun with unchanged specs: API calls and wall time, in
process (implement.run) and as the command (`fountain implement`, Python start-up and imports included).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from implement.run import run  # noqa: E402
from implement.settings import Settings  # noqa: E402
from implement.source import is_stub  # noqa: E402
from tests.edge.openai_api.server import ScriptedServer  # noqa: E402
from tests.implement_answers import answer_from  # noqa: E402

_MARK = "# fountain-signature: "


def _functions(source: str) -> list[str]:
    return [
        line[len(_MARK) :].split(" ", 1)[1].split("(", 1)[0] for line in source.splitlines() if line.startswith(_MARK)
    ]


def _fountain(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fountain", *args], cwd=project, env=env, capture_output=True, text=True
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-implement-") as scratch:
        project = Path(scratch)
        shutil.copytree(ROOT / "specs", project / "specs")
        shutil.copytree(
            ROOT / "services", project / "services", ignore=shutil.ignore_patterns("__pycache__", "provenance")
        )
        script: dict[str, list[dict]] = {}
        reset = []
        for module in sorted((project / "services").glob("*/domain.py")):
            source = module.read_text()
            written = [f for f in _functions(source) if not is_stub(source, f)]
            if written:
                script.update({f: [{"answer": answer_from(source, f)}] for f in written})
                reset.append(module.parent.name)
                module.unlink()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "FOUNTAIN_IMPLEMENT_"))}
        made = _fountain(project, env, "generate", "specs", "-o", "build")
        assert made.returncode == 0, made.stderr
        print(f"services reset to stubs: {', '.join(reset)}; functions with a scripted answer: {len(script)}")
        with ScriptedServer(script) as server:
            env |= {"OPENAI_API_KEY": "sk-bench", "FOUNTAIN_IMPLEMENT_BASE_URL": server.base_url}
            os.environ.update({"OPENAI_API_KEY": "sk-bench", "FOUNTAIN_IMPLEMENT_BASE_URL": server.base_url})
            settings = Settings()
            specs, handlers = project / "specs", project / "services"
            cwd = os.getcwd()
            os.chdir(project)
            try:
                start = time.perf_counter()
                first = run(specs, project, handlers, settings, services=reset)
                full = time.perf_counter() - start
                calls_full = len(server.calls)
                start = time.perf_counter()
                again = run(specs, project, handlers, settings, services=reset)
                rerun = time.perf_counter() - start
            finally:
                os.chdir(cwd)
            start = time.perf_counter()
            command = _fountain(project, env, "implement", *[a for slug in reset for a in ("--service", slug)])
            assert "API calls" in command.stderr, command.stderr
            rerun_cli = time.perf_counter() - start
            calls_rerun = len(server.calls) - calls_full
            start = time.perf_counter()
            _fountain(project, env, "--help")
            startup = time.perf_counter() - start
        stubs = list(first.outcomes)
        print(f"{'':34} {'full run':>12} {'rerun':>12}")
        print(f"{'API calls':34} {calls_full:>12} {calls_rerun:>12}")
        print(f"{'wall time, implement.run (s)':34} {full:>12.2f} {rerun:>12.3f}")
        print(f"{'wall time, fountain implement (s)':34} {'':>12} {rerun_cli:>12.3f}")
        print(f"{'baseline: fountain --help (s)':34} {'':>12} {startup:>12.3f}   (Python start-up and imports)")
        print(
            f"{'operations filled / up to date':34} {sum(o.status in ('filled', 'repaired') for o in stubs):>12} "
            f"{sum(i.state == 'current' for i in again.items):>12}"
        )
        print("rounds per operation: " + ", ".join(f"{o.slug}.{o.func}={o.rounds} ({o.status})" for o in stubs))
        left = [o for o in stubs if o.status == "failed"]
        for o in left:
            print(f"stays a stub: {o.slug}.{o.func}: {o.reason}")
        if left:
            print("(a stub whose session failed is not asked for again while its spec slice is unchanged)")


if __name__ == "__main__":
    main()
