"""Benchmark: the Pulumi program built under mocks for the six project services and for 60 synthetic ones.

Run: .venv/bin/python bench/pulumi_program.py
Each case runs in a fresh interpreter and reports wall time (generation and Pulumi declaration apart)
and peak RSS. The baseline, in the same run, is an empty program under the same mocks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASE = textwrap.dedent(
    """
    import json, resource, sys, time
    sys.path.insert(0, {root!r})
    t0 = time.perf_counter()
    from pathlib import Path
    import pulumi
    from tests.pulumi_harness import run_program, configure
    import stacks, generator.generate
    from stacks.source import load_source
    imported = time.perf_counter()
    if {empty!r}:
        configure("dev")
        @pulumi.runtime.test
        def empty():
            return pulumi.Output.from_input(1)
        empty()
        resources, generated = 0, imported
    else:
        load_source(Path({specs!r}).resolve(), Path({bundle!r}))  # generation, cached for the program below
        generated = time.perf_counter()
        run = run_program("dev", {config!r})
        resources = len(run.recorder.resources)
    done = time.perf_counter()
    print(json.dumps({{"imports": imported - t0, "generation": generated - imported, "declaration": done - generated,
                      "build": done - imported, "resources": resources,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
    """
)

# 60 services do not fit the 2 GB host; their bundle is generated for a bigger one.
BIG = {"FOUNTAIN_HOST_MEMORY_MB": "32768"}

SYNTHETIC = """openapi: 3.1.0
info: {{title: Synthetic {n}, version: 1.0.0}}
security: [{{apiKeyAuth: []}}]
paths:
  /things:
    get:
      operationId: listThings
      responses:
        "200": {{description: ok, content: {{application/json: {{schema: {{type: array, items: {{$ref: "#/components/schemas/Thing"}}}}}}}}}}
        "401": {{description: no key}}
    post:
      operationId: createThing
      requestBody: {{required: true, content: {{application/json: {{schema: {{$ref: "#/components/schemas/Thing"}}}}}}}}
      responses:
        "201": {{description: made, content: {{application/json: {{schema: {{$ref: "#/components/schemas/Thing"}}}}}}}}
        "400": {{description: bad}}
        "401": {{description: no key}}
  /things/{{thingId}}:
    get:
      operationId: getThing
      parameters: [{{name: thingId, in: path, required: true, schema: {{type: integer}}}}]
      responses:
        "200": {{description: ok, content: {{application/json: {{schema: {{$ref: "#/components/schemas/Thing"}}}}}}}}
        "401": {{description: no key}}
        "404": {{description: missing}}
components:
  securitySchemes:
    apiKeyAuth: {{type: apiKey, in: header, name: X-API-KEY}}
  schemas:
    Thing:
      type: object
      properties:
        thingId: {{type: integer}}
        name: {{type: string}}
"""


def synthetic_project(count: int) -> Path:
    """A project folder with `count` one-version services and its generated, committed bundle."""
    from generator.bundle import BundleSettings
    from generator.generate import generate

    root = Path(tempfile.mkdtemp(prefix="fountain-bench-"))
    (root / "services").mkdir()
    for n in range(count):
        folder = root / "specs" / f"synthetic-{n:02d}"
        folder.mkdir(parents=True)
        (folder / "v1.yaml").write_text(SYNTHETIC.format(n=n))
    settings = BundleSettings(host_memory_mb=int(BIG["FOUNTAIN_HOST_MEMORY_MB"]))
    generate(root / "specs", root / "build", project_root=root, bundle_dir=root, settings=settings)
    return root


def measure(specs: Path | None, config: dict[str, str], env: dict[str, str]) -> dict[str, float]:
    bundle = (specs.parent if specs else ROOT).resolve()
    code = CASE.format(root=str(ROOT), empty=specs is None, specs=str(specs or ""), bundle=str(bundle), config=config)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ, **env}, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    synthetic = synthetic_project(60)
    try:
        rel = os.path.relpath(synthetic, ROOT)
        cases = [
            ("baseline: empty program, same mocks", None, {}),
            ("6 project services", ROOT / "specs", {}),
            (
                "60 synthetic services",
                synthetic / "specs",
                {"specsDir": f"{rel}/specs", "bundleDir": rel, "bundle": "large_3_0", "budgetEur": "1000"},
            ),
        ]
        rows = []
        for label, specs, config in cases:
            runs = [measure(specs, config, BIG if specs != ROOT / "specs" else {}) for _ in range(3)]
            best = min(runs, key=lambda r: r["build"])
            rows.append((label, best))
        head = ("case", "resources", "generate s", "declare s", "build s", "imports s", "peak RSS MB")
        print(f"{head[0]:38} " + " ".join(f"{h:>11}" for h in head[1:]))
        for label, r in rows:
            cells = (r["resources"], r["generation"], r["declaration"], r["build"], r["imports"], r["rss_mb"])
            print(f"{label:38} {cells[0]:>11} " + " ".join(f"{c:>11.2f}" for c in cells[1:5]) + f" {cells[5]:>11.0f}")
        six, sixty = rows[1][1], rows[2][1]
        for name, r in (("6 services", six), ("60 services", sixty)):
            per_resource = r["declaration"] / r["resources"] * 1000
            per_service = r["build"] / (6 if name == "6 services" else 60)
            print(f"{name}: {per_resource:.2f} ms per resource declared, {per_service:.3f} s per service built")
    finally:
        shutil.rmtree(synthetic, ignore_errors=True)


if __name__ == "__main__":
    main()
