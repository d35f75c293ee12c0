"""TLS at the gateway for a stack with a domain, plain HTTP with a warning without one.

Kong's rules come from its source (cited in provision/gateway_tls.py and tests/kong_rules.py); decK validates
the config the deploy would hand Kong.
"""

from __future__ import annotations

import logging
import shlex

import pytest
import yaml

from generator.bundle.checks import kong_problems
from generator.bundle.files import KONG_FILE
from generator.bundle.tools import run_tools, staged
from provision.envfiles import Secrets, env_files
from provision.gateway_keys import auth_probe
from provision.gateway_tls import LETS_ENCRYPT, LETS_ENCRYPT_STAGING, Tls
from stacks.config import ConfigError

from .bundle_helpers import Built, build_bundle_for
from .conftest import PROJECT_SPECS, ROOT
from .kong_rules import answer
from .pulumi_harness import run_program

DOMAIN, EMAIL = "api.example.org", "ops@example.org"


@pytest.fixture(scope="module")
def built() -> Built:
    return build_bundle_for(PROJECT_SPECS, ROOT)


def _runtime(built: Built, tls: Tls | None) -> dict:
    secrets = Secrets(
        database_passwords={s.slug: f"db-{s.slug}-0123456789" for s in built.services},
        consumer_keys={"ops": "ops-key-0123456789abcdef"},
        postgres_password="pg-0123456789abcdef",
        logging_key="gateway-key-0123456789",
    )
    return yaml.safe_load(env_files(built.compose, built.kong, secrets, tls)["env/kong.yml"])


def test_a_domain_gets_lets_encrypt_with_storage_that_survives_a_restart(built: Built):
    config = _runtime(built, Tls(DOMAIN, EMAIL))
    (acme,) = [p["config"] for p in config["plugins"] if p["name"] == "acme"]
    assert (acme["domains"], acme["account_email"], acme["tos_accepted"]) == ([DOMAIN], EMAIL, True)
    assert acme["api_uri"] == LETS_ENCRYPT
    # kong/plugins/acme/schema.lua: DB-less Kong cannot use `kong` storage and `shm` is lost on restart.
    assert acme["storage"] == "redis"
    store = acme["storage_config"]["redis"]
    container = built.compose["services"][store["host"]]
    assert str(store["port"]) in container["expose"] and container["volumes"] == ["acme:/data"]
    assert "--appendonly" in container["command"]
    # Only what a runtime config is meant to differ in from a committed one: keys, and the challenge route's
    # upstream, which the acme plugin answers before any proxying.
    expected = ("belong to the deploy", "/services/7/url: upstream host '127.0.0.1'")
    assert [p for p in kong_problems(config, built.compose) if not any(e in p for e in expected)] == []
    with staged({KONG_FILE: yaml.safe_dump(config)}) as root:
        deck = next(r for r in run_tools(root) if r.tool == "deck validate")
    assert deck.ok, deck.output


def test_ephemeral_stacks_use_the_staging_directory(built: Built):
    config = _runtime(built, Tls(DOMAIN, EMAIL, staging=True))
    (acme,) = [p["config"] for p in config["plugins"] if p["name"] == "acme"]
    assert acme["api_uri"] == LETS_ENCRYPT_STAGING


def test_api_routes_redirect_http_to_https_and_send_hsts(built: Built):
    config = _runtime(built, Tls(DOMAIN, EMAIL))
    probe = auth_probe(config)
    assert probe is not None and probe.https
    headers = {probe.header: probe.key}
    assert answer(config, probe.method, probe.path, headers, "http").status == 308
    assert answer(config, probe.method, probe.path, headers, "https").status == 200
    assert answer(config, probe.method, probe.path, {}, "https").status == 401
    # The HTTP-01 challenge must match a route over plain HTTP (kong/plugins/acme/handler.lua, access phase).
    assert answer(config, "GET", "/.well-known/acme-challenge/token123", {}, "http").status == 200
    (hsts,) = [p["config"] for p in config["plugins"] if p["name"] == "response-transformer"]
    assert hsts["add"]["headers"] == ["Strict-Transport-Security:max-age=31536000; includeSubDomains"]


def test_without_a_domain_the_config_stays_on_http(built: Built):
    config = _runtime(built, None)
    assert not [p for p in config["plugins"] if p["name"] == "acme"]
    probe = auth_probe(config)
    assert not probe.https and answer(config, probe.method, probe.path, {probe.header: probe.key}).status == 200


def test_a_stack_with_a_domain_reports_https_and_deploys_with_tls():
    run = run_program("dev", {"domain": DOMAIN, "acmeEmail": EMAIL})
    assert run.platform.config.domain == DOMAIN
    (command,) = run.recorder.of_type("command:local:Command")
    argv = shlex.split(command.inputs["create"])
    assert argv[argv.index("--domain") + 1] == DOMAIN and "--acme-staging" not in argv
    ephemeral = run_program("pr-42", {"domain": DOMAIN, "acmeEmail": EMAIL})
    (command,) = ephemeral.recorder.of_type("command:local:Command")
    assert "--acme-staging" in shlex.split(command.inputs["create"])


def test_the_gateway_url_output_is_https_with_a_domain_and_http_with_a_warning_without(caplog, monkeypatch):
    import asyncio

    from stacks import platform

    exported: dict = {}
    monkeypatch.setattr(platform.pulumi, "export", lambda name, value: exported.__setitem__(name, value))
    with caplog.at_level(logging.WARNING):
        run_program("dev")
    plain = exported["gatewayUrl"]
    assert any("fountainai:domain is not set: the gateway serves plain HTTP" in r.message for r in caplog.records)
    run_program("dev", {"domain": DOMAIN, "acmeEmail": EMAIL})
    secure = exported["gatewayUrl"]
    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(plain.future()) == "http://203.0.113.10"
        assert loop.run_until_complete(secure.future()) == f"https://{DOMAIN}"
    finally:
        loop.close()


def test_a_domain_without_an_account_email_is_refused():
    with pytest.raises(ConfigError, match="^fountainai:acmeEmail is required with fountainai:domain"):
        run_program("dev", {"domain": DOMAIN})
    with pytest.raises(ConfigError, match="^fountainai:domain: 'not a domain' is not a domain name"):
        run_program("dev", {"domain": "not a domain", "acmeEmail": EMAIL})
