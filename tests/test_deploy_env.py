"""What the deploy writes on the host: env files with the secrets, and PostgreSQL's per-service databases."""

from __future__ import annotations

import os
import secrets
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from generator.bundle.checks import secret_leaks
from generator.bundle.files import INIT_SCRIPT_FILE, KONG_FILE
from generator.bundle.tools import run_tools, staged
from provision.envfiles import Secrets, env_files

from .bundle_helpers import Built, build_bundle_for
from .conftest import PROJECT_SPECS, ROOT

POSTGRES = os.environ.get("FOUNTAIN_TEST_POSTGRES_URL")


@pytest.fixture(scope="module")
def built() -> Built:
    return build_bundle_for(PROJECT_SPECS, ROOT)


def _secrets(built: Built) -> Secrets:
    token = lambda: secrets.token_urlsafe(18) + "$#%"  # noqa: E731 - characters an env file must not interpret
    return Secrets(
        database_passwords={s.slug: token() for s in built.services},
        consumer_keys={"ops": token()},
        postgres_password=token(),
        logging_key=token(),
    )


def _parse_env(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {name: value.strip("'") for name, value in pairs}


def test_each_container_gets_only_its_own_secrets(built: Built):
    given = _secrets(built)
    files = env_files(built.compose, built.kong, given)
    assert sorted(files) == sorted(["env/postgres.env", "env/kong.yml", *(f"env/{s.slug}.env" for s in built.services)])
    for service in built.services:
        env = _parse_env(files[f"env/{service.slug}.env"])
        assert set(env) == {"DATABASE_URL", "API_KEYS"}
        others = [p for slug, p in given.database_passwords.items() if slug != service.slug]
        assert not any(p in files[f"env/{service.slug}.env"] for p in others)
        assert given.consumer_keys["ops"] in env["API_KEYS"].split(",")
    assert given.consumer_keys["ops"] not in files["env/postgres.env"]


def test_committed_files_hold_no_secret(built: Built):
    given = _secrets(built)
    env_files(built.compose, built.kong, given)
    assert secret_leaks(built.files, given.values()) == []


def test_kong_runtime_config_carries_the_keys_and_passes_deck(built: Built):
    given = _secrets(built)
    runtime = yaml.safe_load(env_files(built.compose, built.kong, given)["env/kong.yml"])
    assert runtime["consumers"][0]["keyauth_credentials"] == [{"key": given.consumer_keys["ops"]}]
    http_log = next(p for p in runtime["plugins"] if p["name"] == "http-log")
    assert http_log["config"]["headers"] == {"X-API-KEY": given.logging_key}
    with staged({KONG_FILE: yaml.safe_dump(runtime)}) as root:
        deck = next(r for r in run_tools(root) if r.tool == "deck validate")
    assert deck.ok, deck.output


def test_a_value_an_env_file_cannot_hold_is_refused(built: Built):
    given = _secrets(built)
    given.database_passwords["character"] = "it's"
    with pytest.raises(ValueError, match="FOUNTAIN_DB_PASSWORD_CHARACTER: a value with a quote"):
        env_files(built.compose, built.kong, given)


@pytest.mark.skipif(
    not POSTGRES, reason="FOUNTAIN_TEST_POSTGRES_URL is not set (scripts/test starts a throwaway cluster)"
)
def test_init_script_creates_one_database_and_role_per_service(built: Built, tmp_path: Path):
    import psycopg

    url = urlparse(POSTGRES.replace("postgresql+psycopg://", "postgresql://"))
    given = _secrets(built)
    files = env_files(built.compose, built.kong, given)
    script = tmp_path / "init.sh"
    script.write_text(built.files[INIT_SCRIPT_FILE])
    env = {
        **os.environ,
        **_parse_env(files["env/postgres.env"]),
        "PGHOST": url.hostname,
        "PGPORT": str(url.port),
        "POSTGRES_USER": url.username,
        "POSTGRES_DB": url.path.lstrip("/"),
    }
    for _ in range(2):  # idempotent: the deploy may run it again when a service is added
        done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert f"{len(built.services)} database(s) ready" in done.stdout
        assert not any(p in done.stdout + done.stderr for p in given.values())
    try:
        for service in built.services:
            service_url = urlparse(_parse_env(files[f"env/{service.slug}.env"])["DATABASE_URL"])
            local = service_url._replace(
                scheme="postgresql", netloc=f"{service_url.netloc.split('@')[0]}@{url.hostname}:{url.port}"
            )
            with psycopg.connect(local.geturl(), autocommit=True) as conn:
                table = f"t_{uuid.uuid4().hex[:8]}"
                conn.execute(f"CREATE TABLE {table} (id int)")  # the role owns its database
                assert conn.execute("SELECT current_user, current_database()").fetchone() == (
                    service.package,
                    service.package,
                )
        other = built.services[1].package
        with pytest.raises(psycopg.OperationalError, match="permission denied"):
            psycopg.connect(f"postgresql://{built.services[0].package}@{url.hostname}:{url.port}/{other}").close()
    finally:
        with psycopg.connect(url.geturl(), autocommit=True) as admin:
            for service in built.services:
                admin.execute(f'DROP DATABASE IF EXISTS "{service.package}"')
                admin.execute(f'DROP ROLE IF EXISTS "{service.package}"')


@pytest.mark.skipif(
    not POSTGRES, reason="FOUNTAIN_TEST_POSTGRES_URL is not set (scripts/test starts a throwaway cluster)"
)
def test_init_script_puts_no_password_on_psqls_command_line(built: Built, tmp_path: Path):
    """Every argument list is readable by every user (/proc/<pid>/cmdline); psql reads the passwords itself."""
    import shutil

    import psycopg

    url = urlparse(POSTGRES.replace("postgresql+psycopg://", "postgresql://"))
    given = _secrets(built)
    files = env_files(built.compose, built.kong, given)
    script = tmp_path / "init.sh"
    script.write_text(built.files[INIT_SCRIPT_FILE])
    wrapper = tmp_path / "bin" / "psql"
    wrapper.parent.mkdir()
    log = tmp_path / "argv.log"
    # Records each psql's argument list as the process table shows it, then runs the real psql.
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {log}\nexec {shutil.which("psql")} "$@"\n')
    wrapper.chmod(0o755)
    env = {
        **os.environ,
        **_parse_env(files["env/postgres.env"]),
        "PATH": f"{wrapper.parent}:{os.environ['PATH']}",
        "PGHOST": url.hostname,
        "PGPORT": str(url.port),
        "POSTGRES_USER": url.username,
        "POSTGRES_DB": url.path.lstrip("/"),
    }
    try:
        done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        argvs = log.read_text()
        assert argvs.count("\n") == len(built.services)
        assert not [p for p in given.database_passwords.values() if p in argvs]
        # And the passwords did arrive: each role logs in with its own.
        service = built.services[0]
        password = given.database_passwords[service.slug]
        psycopg.connect(
            host=url.hostname, port=url.port, user=service.package, password=password, dbname=service.package
        ).close()
    finally:
        with psycopg.connect(url.geturl(), autocommit=True) as admin:
            for service in built.services:
                admin.execute(f'DROP DATABASE IF EXISTS "{service.package}"')
                admin.execute(f'DROP ROLE IF EXISTS "{service.package}"')
