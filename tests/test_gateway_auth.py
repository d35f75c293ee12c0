"""The gateway config as Kong would run it: one config source, keys that work, no key in logs or upstreams.

Kong cannot run here; tests/kong_rules.py follows its source for the parts that matter (which config it
loads, routing, key-auth with anonymous, consumer plugins, request-transformer), each rule cited there.
"""

from __future__ import annotations

import copy

import pytest

from generator.bundle.checks import kong_problems
from provision.envfiles import Secrets, env_files
from provision.gateway_keys import auth_probe

from .bundle_helpers import Built, build_bundle_for
from .conftest import PROJECT_SPECS, ROOT
from .kong_rules import answer, conf_env_values, load_config

OPS_KEY = "ops-key-0123456789abcdefghij"
GATEWAY_KEY = "gateway-key-0123456789abcdef"


@pytest.fixture(scope="module")
def built() -> Built:
    return build_bundle_for(PROJECT_SPECS, ROOT)


@pytest.fixture(scope="module")
def deployed(built: Built, tmp_path_factory) -> tuple[dict, dict]:
    """The kong container's environment and the config Kong loads, as the deploy leaves them on the host."""
    secrets = Secrets(
        database_passwords={s.slug: f"db-{s.slug}-0123456789" for s in built.services},
        consumer_keys={"ops": OPS_KEY},
        postgres_password="pg-0123456789abcdef",
        logging_key=GATEWAY_KEY,
    )
    compose_dir = tmp_path_factory.mktemp("release") / "compose"
    for rel, text in env_files(built.compose, built.kong, secrets).items():
        (compose_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (compose_dir / rel).write_text(text)
    kong = built.compose["services"]["kong"]
    mounts = {}
    for volume in kong["volumes"]:
        source, target = volume.split(":")[:2]
        mounts[target] = str((compose_dir / source).resolve())
    environment = dict(kong["environment"])
    return environment, load_config(environment, mounts)


def _secured_routes(config: dict) -> list[dict]:
    return [
        route
        for service in config["services"]
        for route in service["routes"]
        if any(p["name"] == "key-auth" for p in route.get("plugins", []))
    ]


def _request_path(route: dict) -> str:
    return route["paths"][0].removeprefix("~").removesuffix("$").replace("[^/]+", "1").replace("\\", "")


def test_kong_has_exactly_one_config_source_and_it_holds_the_keys(deployed):
    environment, config = deployed
    # kong/init.lua has_declarative_config: with both set, the file wins and the string is ignored.
    assert "KONG_DECLARATIVE_CONFIG_STRING" not in environment
    assert environment["KONG_DECLARATIVE_CONFIG"] == "/kong/kong.yml"
    assert config["consumers"][0]["keyauth_credentials"] == [{"key": OPS_KEY}]


def test_a_keyed_request_passes_and_an_unkeyed_one_is_refused_on_every_secured_route(deployed):
    _, config = deployed
    routes = _secured_routes(config)
    assert len(routes) == sum(len(s["routes"]) for s in config["services"])  # story-factory's too
    for route in routes:
        method, path = route["methods"][0], _request_path(route)
        keyed = answer(config, method, path, {"X-API-KEY": OPS_KEY})
        assert keyed.status == 200 and keyed.consumer == "ops", route["name"]
        # The upstream gets the gateway's own key, never the client's.
        assert keyed.upstream_headers["x-api-key"] == GATEWAY_KEY
        assert answer(config, method, path, {}).status == 401
        assert answer(config, method, path, {"x-api-key": "guessed-0123456789"}).status == 401


def test_the_committed_file_alone_would_refuse_every_key(built: Built):
    # What the old bundle did: the committed file (consumers without keys) mounted and named by
    # KONG_DECLARATIVE_CONFIG, the filled config in KONG_DECLARATIVE_CONFIG_STRING; Kong loads the file.
    environment = {"KONG_DECLARATIVE_CONFIG": "/kong/kong.yml", "KONG_DECLARATIVE_CONFIG_STRING": "{}"}
    config = load_config(environment, {"/kong/kong.yml": str(ROOT / "kong" / "kong.yml")})
    route = _secured_routes(config)[0]
    assert answer(config, route["methods"][0], _request_path(route), {"X-API-KEY": OPS_KEY}).status == 401


def test_no_secret_in_what_kong_writes_to_its_prefix(deployed):
    # kong/cmd/utils/prefix_handler.lua writes every KONG_* setting into .kong_env inside the container.
    environment, _ = deployed
    written = "\n".join(f"{k} = {v}" for k, v in conf_env_values(environment).items())
    assert OPS_KEY not in written and GATEWAY_KEY not in written
    assert "declarative_config = /kong/kong.yml" in written


def test_unauthenticated_traffic_is_limited_per_ip_and_keyed_traffic_per_consumer(deployed):
    _, config = deployed
    route = _secured_routes(config)[0]
    unkeyed = answer(config, route["methods"][0], _request_path(route), {})
    assert (unkeyed.status, unkeyed.consumer) == (401, "anonymous")
    (anonymous,) = [c for c in config["consumers"] if c["username"] == "anonymous"]
    limits = {p["name"]: p["config"] for p in anonymous["plugins"]}
    # The consumer's rate-limiting outranks the global one and runs (910) before request-termination (2).
    assert limits["rate-limiting"]["limit_by"] == "ip" and limits["rate-limiting"]["minute"] == 60
    assert "keyauth_credentials" not in anonymous
    (global_limit,) = [p for p in config["plugins"] if p["name"] == "rate-limiting"]
    assert global_limit["config"]["limit_by"] == "consumer"


def test_the_log_entry_drops_the_key_header(deployed):
    _, config = deployed
    (http_log,) = [p for p in config["plugins"] if p["name"] == "http-log"]
    assert http_log["config"]["custom_fields_by_lua"]["request.headers.x-api-key"] == "return nil"


def test_the_deploys_probe_targets_a_secured_route(deployed):
    _, config = deployed
    probe = auth_probe(config)
    assert probe is not None and probe.key == OPS_KEY and probe.header == "X-API-KEY"
    assert answer(config, probe.method, probe.path, {probe.header: probe.key}).status == 200


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda d: _auth(d).update(hide_credentials=False), "hide_credentials: must be true"),
        (lambda d: _auth(d).update(key_in_query=True), "key_in_query: keys only in a header"),
        (
            lambda d: _log(d)["custom_fields_by_lua"].pop("request.headers.x-api-key"),
            "does not drop request.headers.x-api-key",
        ),
        (
            lambda d: d["consumers"][1]["plugins"][0]["config"].update(limit_by="planet"),
            "/consumers/1/plugins/0/config/limit_by",
        ),
    ],
)
def test_gateway_rules_catch_broken_variants(built: Built, break_it, expected: str):
    doc = copy.deepcopy(built.kong)
    assert kong_problems(doc, built.compose) == []
    break_it(doc)
    problems = kong_problems(doc, built.compose)
    assert any(expected in p for p in problems), problems


def _auth(doc: dict) -> dict:
    return doc["services"][0]["routes"][0]["plugins"][0]["config"]


def _log(doc: dict) -> dict:
    return next(p for p in doc["plugins"] if p["name"] == "http-log")["config"]
