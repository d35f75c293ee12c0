"""Health of the running release: every container healthy, and every service reachable from the gateway."""

from __future__ import annotations

import json
import time

from generator.contract import APP_PORT, GATEWAY

from . import commands
from .connection import Host
from .gateway_keys import AuthProbe

GATEWAY_PROXY_PORT = 8000  # KONG_PROXY_LISTEN inside the container
GATEWAY_TLS_PORT = 8443


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


def gateway_auth(host: Host, compose_file: str, probe: AuthProbe) -> str | None:
    """None when Kong lets a keyed request through and refuses an unkeyed one (401); else what went wrong.

    Sent from inside the gateway's container to its proxy port; the key goes on curl's stdin (`-H @-`),
    never on a command line.
    """
    # HTTPS-only routes are probed on the TLS port; from inside the container 127.0.0.1 gets Kong's own
    # certificate, not the domain's, so that one probe does not verify it.
    url = (
        f"https://127.0.0.1:{GATEWAY_TLS_PORT}{probe.path}"
        if probe.https
        else f"http://127.0.0.1:{GATEWAY_PROXY_PORT}{probe.path}"
    )
    keyed = commands.compose_exec(
        compose_file, GATEWAY, *commands.http_status(probe.method, url, headers_on_stdin=True)
    )
    unkeyed = commands.compose_exec(compose_file, GATEWAY, *commands.http_status(probe.method, url))
    _, with_key, _ = host.run(keyed, check=False, stdin=f"{probe.header}: {probe.key}\n")
    _, without, _ = host.run(unkeyed, check=False)
    if with_key.strip() in ("401", "403", "") or not with_key.strip().isdigit():
        return f"a request with a consumer's key to {probe.method} {probe.path} got {with_key.strip() or 'no answer'}"
    if without.strip() != "401":
        return f"a request without a key to {probe.method} {probe.path} got {without.strip() or 'no answer'}, not 401"
    return None
