"""The logging service stores what Kong's http-log sends, without credentials, finds it again and prunes old entries."""

import os
import textwrap
from pathlib import Path

import pytest

from .conftest import PROJECT_SPECS, ROOT, run_fountain
from .data_helpers import database_url, run_in_tree

POSTGRES = os.environ.get("FOUNTAIN_TEST_POSTGRES_URL")


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("logging") / "out"
    handlers = ("--handlers", str(ROOT / "services"))  # the project's own domain module, not a fresh stub
    result = run_fountain("generate", str(PROJECT_SPECS / "logging"), "-o", str(out), *handlers, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return out / "logging"


# Shaped like kong.log.serialize() (Kong/kong kong/pdk/log.lua) plus our gateway's custom_fields_by_lua.
ENTRY = """
def entry(method, status, started, service="character", key="s3cret-key"):
    return {
        "request": {"uri": f"/character/v1/characters?apikey={key}&x=1", "url": f"http://gw:8000/character/v1/characters?apikey={key}&x=1",
                    "querystring": {"apikey": key, "x": "1"}, "method": method, "size": 120,
                    "headers": {"host": "gw", "x-api-key": key, "authorization": "Bearer " + key, "Cookie": "sid=" + key,
                                "user-agent": "curl"}},
        "upstream_uri": f"/v1/characters?apikey={key}&x=1",
        "response": {"status": status, "size": 300, "headers": {"content-type": "application/json"}},
        "latencies": {"kong": 1, "proxy": 4, "request": 5},
        "tries": [{"ip": "10.0.0.2", "port": 8000, "balancer_latency": 0}],
        "route": {"id": "r1", "name": "character-v1-listCharacters", "paths": ["~/character/v1/characters$"]},
        "client_ip": "203.0.113.7", "started_at": started, "source": "upstream", "workspace": "default",
        "service": service, "level": "info" if status < 400 else "warning",
        "message": f"{method} /character/v1/characters {status}", "correlationId": "c-1",
    }
"""


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_kong_entries_are_stored_scrubbed_searched_and_pruned(tree: Path, tmp_path: Path, database: str, monkeypatch):
    if database == "postgresql" and not POSTGRES:
        pytest.skip("FOUNTAIN_TEST_POSTGRES_URL is not set (scripts/test starts a throwaway cluster)")
    monkeypatch.setenv("LOG_RETENTION_DAYS", "1")
    code = ENTRY + textwrap.dedent("""
    import json
    from sqlalchemy import create_engine, text
    DAY = 86_400_000
    with TestClient(app) as c:
        c.headers["X-API-KEY"] = "k"
        made = c.post("/v1/logs", json=entry("get", 200, 10 * DAY))
        assert made.status_code == 201, made.text
        assert made.json().get("status") == 200 and made.json().get("method") == "get", made.json()
        c.post("/v1/logs", json=entry("POST", 503, 10 * DAY + 5, service="story-factory"))
        c.post("/v1/logs", json=entry("GET", 404, 10 * DAY + 9))
        found = c.get("/v1/logs/search", params={"service": "character", "status": 404}).json()
        assert [e["started_at"] for e in found] == [10 * DAY + 9], found
        assert [e["status"] for e in c.get("/v1/logs/search", params={"method": "POST"}).json()] == [503]
        window = c.get("/v1/logs/search", params={"startedFrom": 10 * DAY + 1, "startedTo": 10 * DAY + 9}).json()
        assert [e["status"] for e in window] == [404, 503], window
        assert len(c.get("/v1/logs/search", params={"service": "character"}).json()) == 2
        # Nothing of the key survives anywhere in the stored rows.
        engine = create_engine(os.environ["DB"])
        with engine.connect() as db:
            stored = json.dumps([dict(r._mapping) for r in db.execute(text("SELECT * FROM logs"))], default=str)
        assert "s3cret-key" not in stored and "x=1" in stored and "user-agent" in stored, stored
        # Retention: one day. Entry 100 (started 12 days in) prunes everything older than day 11.
        for i in range(96):
            c.post("/v1/logs", json=entry("GET", 200, 12 * DAY - i))
        last = c.post("/v1/logs", json=entry("GET", 201, 12 * DAY))
        assert last.json()["logId"] == 100
        left = c.get("/v1/logs/search", params={"limit": 1000}).json()
        assert len(left) == 97 and min(e["started_at"] for e in left) > 11 * DAY, len(left)
    print("ok")
    """)
    result = run_in_tree(tree, "logging_service", database_url(database, tmp_path), code)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-3000:]
