"""Benchmark: our full generation (cold and warm) beside fastapi-code-generator on the same specs.

Run: .venv/bin/python bench/generate.py  (installs fastapi-code-generator into .bench-venv once)
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = [
    *sorted((ROOT / "specs").glob("*/*.yaml")),
    *sorted((ROOT.parent / "shared" / "specs" / "fountainai-v4").glob("*.yaml")),
]
BENCH_VENV = ROOT / ".bench-venv"
FCG_PIN = "fastapi-code-generator==0.8.1"


def _ours_once(cold: bool) -> float:
    # Cold: a fresh interpreter (imports included); warm: generation repeated in a live process.
    code = (
        "import sys, time, tempfile\nfrom pathlib import Path\nt0 = time.perf_counter()\n"
        "from generator import generate\n"
        "root = Path(tempfile.mkdtemp())\n(root / 'services').mkdir()\n"
        f"paths = [Path('{ROOT / 'specs'}'), Path('{ROOT.parent / 'shared' / 'specs' / 'fountainai-v4'}')]\n"
        "runs = 1 if sys.argv[1] == 'cold' else 4\n"
        "for i in range(runs):\n"
        "    t = time.perf_counter()\n"
        "    for n, p in enumerate(paths):\n"
        "        generate(p, root / f'out{n}', project_root=root)\n"
        "    last = time.perf_counter() - t\n"
        "print(time.perf_counter() - t0 if runs == 1 else last)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, "cold" if cold else "warm"], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def _fcg_once() -> float:
    exe = BENCH_VENV / "bin" / "fastapi-codegen"
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for n, spec in enumerate(SPECS):
            subprocess.run([str(exe), "--input", str(spec), "--output", f"{tmp}/o{n}"], check=True, capture_output=True)
        return time.perf_counter() - start


def main() -> None:
    if not (BENCH_VENV / "bin" / "fastapi-codegen").exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        subprocess.run([str(BENCH_VENV / "bin" / "pip"), "install", "-q", FCG_PIN], check=True)
    runs = 3
    cold = statistics.median(_ours_once(cold=True) for _ in range(runs))
    warm = statistics.median(_ours_once(cold=False) for _ in range(runs))
    fcg = statistics.median(_fcg_once() for _ in range(runs))
    print(f"specs: {len(SPECS)} files ({len(list((ROOT / 'specs').iterdir()))} project services + 5 real v4)")
    print(f"{'tool':<42}{'median s':>10}{'vs fcg':>10}")
    print(f"{'fountain generate, cold (new process)':<42}{cold:>10.2f}{cold / fcg:>10.2f}")
    print(f"{'fountain generate, warm (live process)':<42}{warm:>10.2f}{warm / fcg:>10.2f}")
    print(f"{FCG_PIN + ' (models + routers only)':<42}{fcg:>10.2f}{1.0:>10.2f}")
    shutil.rmtree(ROOT / "build" / "bench", ignore_errors=True)


if __name__ == "__main__":
    main()
