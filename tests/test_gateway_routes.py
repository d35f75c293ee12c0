"""Every route in kong.yml maps to exactly one spec operation, and every operation has its route."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from .bundle_helpers import build_bundle_for
from .conftest import EXTRA_SPECS, PROJECT_SPECS, ROOT, extra_specs

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _spec_operations(built) -> list[tuple[str, str, str]]:
    """(method, concrete request path, operationId) read straight from the spec files."""
    found = []
    for service in built.services:
        for version in service.versions:
            raw = yaml.safe_load(Path(version.file).read_text())
            for path, item in raw["paths"].items():
                for method, op in item.items():
                    if method in METHODS:
                        concrete = re.sub(r"\{([^}]+)\}", r"value-\1", path)
                        found.append((method.upper(), f"/{service.slug}/{version.label}{concrete}", op["operationId"]))
    return found


def _kong_routes(kong: dict) -> list[dict]:
    return [route for service in kong["services"] for route in service["routes"]]


def _route_for(routes: list[dict], method: str, path: str) -> dict:
    """Kong's choice for a request: regex routes that match, highest regex_priority first; a tie is ambiguous."""
    matching = [
        r
        for r in routes
        if method in r["methods"]
        and any(re.match("^" + p[1:] if p.startswith("~") else re.escape(p), path) for p in r["paths"])
    ]
    assert matching, f"{method} {path}: no route"
    best = max(r["regex_priority"] for r in matching)
    winners = [r for r in matching if r["regex_priority"] == best]
    assert len(winners) == 1, f"{method} {path}: ambiguous between {[r['name'] for r in winners]}"
    return winners[0]


@pytest.mark.parametrize(
    "specs", [PROJECT_SPECS, pytest.param(EXTRA_SPECS / "fountainai-v4", marks=extra_specs)], ids=["project", "v4"]
)
def test_routes_and_operations_are_a_bijection(specs: Path, tmp_path: Path):
    built = build_bundle_for(specs, ROOT if specs == PROJECT_SPECS else tmp_path)
    routes = _kong_routes(built.kong)
    operations = _spec_operations(built)
    assert operations
    chosen: dict[str, list[str]] = {r["name"]: [] for r in routes}
    for method, path, operation_id in operations:
        route = _route_for(routes, method, path)
        assert route["name"].endswith(f"-{operation_id}"), f"{method} {path} goes to {route['name']}"
        chosen[route["name"]].append(operation_id)
    # The other direction: no route is left without an operation, none serves two.
    assert {name: len(ops) for name, ops in chosen.items()} == {name: 1 for name in chosen}


def test_a_route_the_specs_do_not_have_is_found(tmp_path: Path):
    built = build_bundle_for(PROJECT_SPECS, ROOT)
    kong = built.kong
    extra = dict(
        kong["services"][0]["routes"][0], name="central-sequence-v1-ghost", paths=["~/central-sequence/v1/ghost$"]
    )
    kong["services"][0]["routes"].append(extra)
    routes = _kong_routes(kong)
    served = {_route_for(routes, m, p)["name"] for m, p, _ in _spec_operations(built)}
    assert {r["name"] for r in routes} - served == {"central-sequence-v1-ghost"}


# Kong keeps an idle upstream connection for upstream_keepalive_idle_timeout seconds: 60 by default
# (kong/templates/kong_defaults.lua in Kong/kong), unless its environment sets KONG_UPSTREAM_KEEPALIVE_IDLE_TIMEOUT.
# A service that closes an idle connection first races Kong's next request on it: a reset, a 502 for a POST
# Kong will not retry (Kong/kong#14062 describes the same with gunicorn's 5 s).
KONG_DEFAULT_UPSTREAM_KEEPALIVE_IDLE_TIMEOUT = 60


def test_every_service_keeps_idle_connections_longer_than_the_gateway(tmp_path: Path):
    import json

    from generator import generate

    result = generate(PROJECT_SPECS, tmp_path / "trees", project_root=tmp_path)
    compose = yaml.safe_load((ROOT / "compose" / "docker-compose.yml").read_text())
    kong_env = compose["services"]["kong"].get("environment", {})
    gateway = int(kong_env.get("KONG_UPSTREAM_KEEPALIVE_IDLE_TIMEOUT", KONG_DEFAULT_UPSTREAM_KEEPALIVE_IDLE_TIMEOUT))
    for service in result.services:
        dockerfile = (tmp_path / "trees" / service.slug / "Dockerfile").read_text()
        command = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1))
        assert "--timeout-keep-alive" in command, f"{service.slug}: uvicorn's 5 s default is shorter than Kong's"
        assert int(command[command.index("--timeout-keep-alive") + 1]) > gateway, service.slug
