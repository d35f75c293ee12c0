"""The whole bundle on a real Docker engine: every service image built from its generated tree, the generated
compose file up with --wait, and every service called through the gateway port.

Kong runs as its stand-in at Kong's edge (tests/edge/kong/gateway.py), fed the way the deploy feeds Kong: the
release's env/kong.yml (the keyed config) mounted read-only at KONG_DECLARATIVE_CONFIG. PostgreSQL is the local
stand-in for the official image (tests/edge/postgres), running the generated init script on its first start;
the ACME store is Debian's redis-server (tests/edge/redis).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from provision.envfiles import Secrets
from provision.release import build_release

from .conftest import ROOT
from .deploy_host import PROJECT as DEPLOY_PROJECT
from .engine import Engine
from .stack import BUNDLE_TEST_PROJECT as PROJECT
from .stack import compose_doc, generate_and_build, write_release

RATE_LIMIT_MINUTE = 100
# Every character that means something to a URL, a shell, an env file or psql.
PASSWORD = "p@ss$word#1%/2"
KEY = "ops-key-0123456789abcdef"
GATEWAY = "http://127.0.0.1:80"
CLIENT = "203.0.113.7"  # what the client claims in X-Forwarded-For; the services must log it


def _secrets(services: list[str]) -> Secrets:
    return Secrets(
        database_passwords={s: f"{PASSWORD}-{s}" for s in services},
        consumer_keys={"ops": KEY},
        postgres_password=PASSWORD,
        logging_key="log-key-0123456789abcdef",
    )


class Stack:
    def __init__(self, engine: Engine, compose_file: Path, doc: dict):
        self.engine = engine
        self.compose_file = compose_file
        self.doc = doc

    def compose(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        argv = ["compose", "-p", PROJECT, "-f", str(self.compose_file), *args]
        return self.engine.docker(*argv, check=check, timeout=timeout)

    def psql(self, sql: str, database: str = "postgres") -> list[str]:
        done = self.compose("exec", "-T", "postgres", "psql", "-U", "postgres", "-d", database, "-Atc", sql)
        return done.stdout.split()


@pytest.fixture(scope="module")
def stack(engine: Engine, edge, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle-up")
    # What an interrupted run left (this project, the deploy tests' one: its network, ports 80/443) goes first,
    # and the bundle gets a subnet no network of the engine holds: an engine is never assumed to be clean.
    engine.down(PROJECT)
    engine.down(DEPLOY_PROJECT)
    env = {"FOUNTAIN_RATE_LIMIT_MINUTE": str(RATE_LIMIT_MINUTE), "FOUNTAIN_NETWORK_SUBNET": engine.free_subnet()}
    bundle = generate_and_build(engine, out, env=env)
    bundle_doc = yaml.safe_load((bundle / "compose" / "docker-compose.yml").read_text())
    services = [s for s in bundle_doc["services"] if "image" in bundle_doc["services"][s]]
    release = build_release(bundle, _secrets([s for s in services if s not in ("postgres", "kong")]))
    stack = Stack(engine, write_release(release, out / "release"), compose_doc(release))
    started = time.monotonic()
    up = stack.compose("up", "-d", "--wait", "--wait-timeout", "300", check=False)
    stack.up_seconds = time.monotonic() - started
    if up.returncode != 0:
        logs = stack.compose("logs", "--no-color", "--tail", "30", check=False).stdout
        stack.compose("down", "-v", check=False)
        pytest.fail(f"compose up --wait failed: {up.stderr[-2000:]}\n{logs[-6000:]}")
    yield stack
    stack.compose("down", "-v", "--remove-orphans", check=False)


def _call(method: str, path: str, key: str | None = KEY, body: object = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(GATEWAY + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("X-API-KEY", key)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _concrete(route_path: str) -> str:
    """A request path the route's anchored regex matches: each parameter group becomes 1."""
    return re.sub(r"\[\^/\]\+|\([^)]*\)", "1", route_path.removeprefix("~").rstrip("$"))


def test_every_container_is_healthy_and_every_database_migrated(stack: Stack):
    rows = [json.loads(line) for line in stack.compose("ps", "--format", "json").stdout.splitlines() if line.strip()]
    states = {row["Service"]: (row["State"], row.get("Health")) for row in rows}
    assert states == {name: ("running", "healthy") for name in stack.doc["services"]}
    services = {s["labels"]["coach.fountain.database"] for s in stack.doc["services"].values() if "labels" in s}
    # The init script made one database per service, each owned by its role, each migrated by its service.
    assert set(stack.psql("SELECT datname FROM pg_database")) >= services
    for name, service in stack.doc["services"].items():
        if "labels" not in service:
            continue
        database = service["labels"]["coach.fountain.database"]
        assert stack.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()",
                          database) == [database]  # fmt: skip
        # Alembic ran (its table exists) and reached head: one row, or none for a service without tables and
        # so without revisions (services/<name>/migrations/versions holds the committed history).
        revisions = sorted((ROOT / "services" / name / "migrations" / "versions").glob("*.py"))
        heads = [r.stem.split("_")[0] for r in revisions[-1:]]
        rows = stack.psql("SELECT version_num FROM alembic_version", database)
        assert [row.split("_")[0] for row in rows] == heads, (database, rows, heads)
    print(f"\ncompose up --wait: {stack.up_seconds:.1f} s")


def test_every_route_reaches_its_service_with_a_key_and_is_refused_without(stack: Stack):
    kong = yaml.safe_load((stack.compose_file.parent / "env" / "kong.yml").read_text())
    assert [c["key"] for c in kong["consumers"][0]["keyauth_credentials"]] == [KEY]  # the deploy filled the key in
    anonymous = next(c for c in kong["consumers"] if c["username"] == "anonymous")
    anonymous_minute = next(p["config"]["minute"] for p in anonymous["plugins"] if p["name"] == "rate-limiting")
    secured = 0
    for kong_service in kong["services"]:
        container = kong_service["url"].split("//")[1].split(":")[0]
        for route in kong_service["routes"]:
            path, method = _concrete(route["paths"][0]), route["methods"][0]
            if any(plugin["name"] == "key-auth" for plugin in route.get("plugins", [])):
                secured += 1
                # key-auth has `anonymous`: a missing or unknown key makes the request the anonymous consumer's,
                # whose request-termination refuses it (kong/plugins/key-auth/handler.lua; the rule is in
                # tests/kong_rules.py); its own per-IP rate limit counts it first.
                for key in (None, "not-a-key"):
                    status, headers, body = _call(method, path, key=key)
                    assert status == 401 and json.loads(body)["message"] == "No API key found in request", (path, body)
                    assert headers["X-RateLimit-Limit-Minute"] == str(anonymous_minute), headers
            marker = f"test-{route['name']}"
            status, headers, body = _call(method, path, headers={"X-Correlation-ID": marker, "X-Forwarded-For": CLIENT})
            # Proxied (the gateway answers nothing itself) and accepted by the service, which checks the key again.
            assert "X-Kong-Upstream-Latency" in headers and status != 401, (path, status, body)
            assert headers["Via"] == "1.1 kong/3.9.1" and headers["X-Correlation-ID"] == marker
            # The request arrived at this container, which logs the client's address, not the gateway's.
            logs = stack.compose("logs", "--no-color", "--tail", "5", container).stdout
            assert f'{CLIENT}:0 - "{method} {path} HTTP/1.1" {status}' in logs, (container, logs)
    assert secured >= 10  # every route of a spec with an API-key scheme


def test_a_resource_written_through_the_gateway_reads_back(stack: Stack):
    created = {"name": "Ada", "description": "a $weird# name/with %s", "comment": "first"}
    status, _, body = _call("POST", "/character/v1/characters", body=created)
    assert status == 201, body
    ident = json.loads(body)["characterId"] if "characterId" in json.loads(body) else json.loads(body)["id"]
    # Character asked Central Sequence for it over the bundle network (CENTRAL_SEQUENCE_URL in compose).
    assert json.loads(body)["sequenceNumber"] >= 1, body
    status, _, body = _call("GET", f"/character/v1/characters/{ident}")
    assert status == 200 and {k: json.loads(body)[k] for k in ("name", "description")} == {
        "name": "Ada",
        "description": "a $weird# name/with %s",
    }
    listed = json.loads(_call("GET", "/character/v1/characters")[2])
    assert any(item.get("name") == "Ada" for item in listed)


def test_story_factory_assembles_a_story_from_the_other_containers(stack: Stack):
    status, _, body = _call(
        "POST",
        "/core-script-management/v1/scripts",
        body={"title": "Yorick's play", "author": "A", "sections": [{"title": "Graveyard"}], "comment": "c"},
    )
    assert status == 201, body
    script = json.loads(body)["scriptId"]
    for name in ("Yorick", "Gravedigger"):
        status, _, body = _call(
            "POST",
            "/character/v1/characters",
            body={"scriptId": script, "name": name, "description": "d", "comment": "c"},
        )
        assert status == 201, body
    status, _, body = _call("GET", f"/story-factory/v1/stories?scriptId={script}")
    assert status == 200, body
    story = json.loads(body)
    assert story["title"] == "Yorick's play" and story["sections"] == [{"title": "Graveyard", "sequence": 1}]
    assert [e["character"]["name"] for e in story["story"]] == ["Yorick", "Gravedigger"], story


def test_correlation_id_is_generated_when_the_client_sends_none(stack: Stack):
    _, first, _ = _call("GET", "/character/v1/characters")
    _, second, _ = _call("GET", "/character/v1/characters")
    pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"  # generator: uuid
    assert re.match(pattern, first["X-Correlation-ID"]) and first["X-Correlation-ID"] != second["X-Correlation-ID"]


def test_the_images_run_the_installed_package_read_only_as_a_regular_user(stack: Stack):
    probe = (
        "import os, character, sys; f = character.__file__; "
        "print(os.getuid(), f, os.access(f, os.W_OK), os.getcwd(), sorted(os.listdir('.')))"
    )
    out = stack.compose("exec", "-T", "character", "python", "-c", probe).stdout.split(maxsplit=4)
    assert out[0] == "10001" and out[1].startswith("/opt/venv/lib/python3.11/site-packages/character/")
    assert out[2:] == ["False", "/srv", "[]\n"] or out[2:] == ["False", "/srv", "[]"]
    listing = stack.compose("exec", "-T", "character", "sh", "-c", "ls /opt/venv/lib/python3.11/site-packages").stdout
    assert "character-" in listing and ".egg-info" not in listing and not re.search(r"^build$", listing, re.M)


def test_memory_stays_under_the_limit(stack: Stack):
    """Under 8 concurrent clients (400 requests) every service's own memory stays well below its mem_limit.

    A service is judged by its anonymous memory (the cgroup's memory.stat), which the kernel cannot take
    back; `docker stats` also counts the page cache of the files it maps and read, which the kernel reclaims
    before the limit bites (Documentation/admin-guide/cgroup-v1/memory.rst, 5.2: `rss` against `cache`). By
    that figure the same service measured 72 to 92 MiB of 112 across runs of this test. Prints both figures;
    no container may have been killed for memory.
    """
    load = (
        "import sys, urllib.request, concurrent.futures as f\n"
        "def get(_):\n"
        "    r = urllib.request.Request('http://127.0.0.1:8000' + sys.argv[1], headers={'X-API-KEY': sys.argv[2]})\n"
        "    try: urllib.request.urlopen(r, timeout=10).read()\n"
        "    except Exception: pass\n"
        "list(f.ThreadPoolExecutor(8).map(get, range(400)))\n"
    )
    kong = yaml.safe_load((ROOT / "kong" / "kong.yml").read_text())
    apps = []
    for kong_service in kong["services"]:
        container = kong_service["url"].split("//")[1].split(":")[0]
        path = _concrete(kong_service["routes"][0]["paths"][0])
        stack.compose("exec", "-T", container, "python", "-c", load, path, KEY)
        apps.append(container)
    names = {f"{PROJECT}-{s}-1": s for s in stack.doc["services"]}
    done = stack.engine.docker("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", *names)
    for line in done.stdout.splitlines():
        name, usage = line.split(" ", 1)
        used, limit = (_mib(part) for part in usage.split(" / "))
        service = names[name]
        own = _anonymous_mib(stack, service) if service in apps else used
        print(f"{service:24s} {own:6.1f} MiB its own, {used:6.1f} MiB with page cache, of {limit:.0f} MiB")
        assert own < limit * 0.8, f"{service}: {own:.1f} MiB of anonymous memory, limit {limit:.0f} MiB"
    killed = stack.engine.docker("inspect", "--format", "{{.Name}} {{.State.OOMKilled}}", *names).stdout
    assert " true" not in killed, killed


def _anonymous_mib(stack: Stack, service: str) -> float:
    """The service container's anonymous memory: `total_rss` under cgroup v1, `anon` under v2."""
    read = "cat /sys/fs/cgroup/memory/memory.stat 2>/dev/null || cat /sys/fs/cgroup/memory.stat"
    stat = dict(line.split() for line in stack.compose("exec", "-T", service, "sh", "-c", read).stdout.splitlines())
    return int(stat["total_rss"] if "total_rss" in stat else stat["anon"]) / 2**20


def _mib(text: str) -> float:
    number, unit = re.match(r"([\d.]+)\s*([KMG]i?B)", text.strip()).groups()
    return float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[unit]


def test_the_rate_limit_stops_a_consumer_at_its_minute_limit(stack: Stack):
    remaining = []
    for _ in range(3 * RATE_LIMIT_MINUTE):
        status, headers, body = _call("GET", "/character/v1/characters")
        if status == 429:
            assert json.loads(body)["message"] == "API rate limit exceeded"
            assert int(headers["Retry-After"]) >= 1 and headers["X-RateLimit-Remaining-Minute"] == "0"
            break
        assert headers["X-RateLimit-Limit-Minute"] == str(RATE_LIMIT_MINUTE)
        remaining.append(int(headers["X-RateLimit-Remaining-Minute"]))
    else:
        pytest.fail(f"no 429 after {3 * RATE_LIMIT_MINUTE} requests: {remaining[-5:]}")
    # Counted down one by one within the window (a new minute may have started on the way).
    window = remaining[max(i for i in range(len(remaining)) if i == 0 or remaining[i] > remaining[i - 1]) :]
    assert window == list(range(window[0], -1, -1)) and window[-1] == 0


pytestmark = pytest.mark.skipif(not shutil.which("docker"), reason="no docker CLI (apt-get install docker.io)")
