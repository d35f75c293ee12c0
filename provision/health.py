"""Health of the running release: every container healthy, and every service reachable from the gateway."""

from __future__ import annotations

import json
import time

from generator.contract import APP_PORT, GATEWAY

from . import commands
from .connection import Host


def parse_ps(output: str) -> dict[str, tuple[str | None, str]]:
    """Service -> (state, health) from `docker compose ps --format json` (one JSON object a line)."""
    states = {}
    for line in output.splitlines():
        if line.strip().startswith("{"):
            row = json.loads(line)
            states[row["Service"]] = (row.get("State"), row.get("Health") or "healthy")
    return states


def unhealthy(host: Host, compose_file: str, services: list[str]) -> list[str]:
    """Services (and the gateway) that are not healthy right now; empty means all is well."""
    _, out, _ = host.run(commands.compose(compose_file, "ps", "--format", "json"), check=False)
    states = parse_ps(out)
    bad = [s for s in [*services, GATEWAY] if states.get(s) != ("running", "healthy")]
    if bad:
        return bad
    if host.run(commands.compose_exec(compose_file, GATEWAY, "kong", "health"), check=False)[0] != 0:
        return [GATEWAY]
    # From inside the gateway's container: the path Kong takes to each upstream.
    for service in services:
        probe = ["curl", "-fsS", "--max-time", "3", f"http://{service}:{APP_PORT}/health"]
        if host.run(commands.compose_exec(compose_file, GATEWAY, *probe), check=False)[0] != 0:
            bad.append(service)
    return bad


def wait_healthy(
    host: Host, compose_file: str, services: list[str], timeout: float, interval: float = 1.0
) -> list[str]:
    """Poll until healthy or the time is up; returns what was still unhealthy at the end."""
    deadline = time.monotonic() + timeout
    while True:
        bad = unhealthy(host, compose_file, services)
        if not bad or time.monotonic() >= deadline:
            return bad
        time.sleep(interval)


def log_tail(host: Host, compose_file: str, service: str, lines: int = 20) -> str:
    _, out, err = host.run(commands.compose_logs(compose_file, service, lines), check=False)
    return (out or err).rstrip()
