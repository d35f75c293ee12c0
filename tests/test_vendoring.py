"""The runtime copied into a service says where it comes from, and the service records its version."""

from __future__ import annotations

import tomllib

from generator import build
from generator.vendoring import runtime_sources, runtime_version

from .conftest import PROJECT_SPECS, ROOT


def test_every_vendored_file_is_marked_and_the_version_recorded():
    tree = build(PROJECT_SPECS, ROOT).trees["character"]
    version = runtime_version()
    runtime = {rel: text for rel, text in tree.items() if rel.startswith("character/runtime/")}
    assert sorted(runtime) == sorted(f"character/runtime/{name}" for name in runtime_sources())
    for rel, text in runtime.items():
        name = rel.rsplit("/", 1)[1]
        first, second = text.splitlines()[:2]
        assert first == f"# Vendored from the FountainAI deploy project (generator/runtime/{name}), runtime {version}."
        assert second.startswith("# Do not edit it here")
        assert text.endswith(runtime_sources()[name].split("\n", 1)[1])  # the project's file follows unchanged
    recorded = tomllib.loads(tree["pyproject.toml"])["tool"]["fountain"]["runtime"]
    assert recorded == {"source": "generator/runtime", "version": version}
