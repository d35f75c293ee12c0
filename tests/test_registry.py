"""The deploy waits for the release's images to be in the registry, asking it as the registry v2 API says."""

from __future__ import annotations

import threading
import time

import pytest

from provision.errors import DeployError
from provision.registry import Credentials, Image, parse_image, wait_for_images

from .registry_server import Registry

GOOD = Credentials("fountainbot", "dckr-test-password-0123456789")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("fountainai/character:abc123", Image("docker.io", "fountainai/character", "abc123")),
        ("postgres:16.4-alpine", Image("docker.io", "library/postgres", "16.4-alpine")),
        ("ghcr.io/org/character:1", Image("ghcr.io", "org/character", "1")),
        ("localhost:5000/character:2", Image("localhost:5000", "character", "2")),
        ("127.0.0.1:5000/a/b", Image("127.0.0.1:5000", "a/b", "latest")),
    ],
)
def test_image_names_are_normalised_as_docker_does(name: str, expected: Image):
    # distribution/reference normalize.go: a registry needs a '.' or ':' or to be localhost; else Docker Hub.
    assert parse_image(name) == expected


def test_present_images_pass_at_once():
    with Registry(GOOD.username, GOOD.password) as registry:
        registry.tags |= {"fountainai/character:aaa", "fountainai/logging:bbb"}
        names = [f"{registry.host}/fountainai/character:aaa", f"{registry.host}/fountainai/logging:bbb"]
        wait_for_images(names, GOOD, timeout=5, interval=0.1)
        assert sorted(registry.heads) == ["fountainai/character:aaa", "fountainai/logging:bbb"]


def test_the_deploy_waits_for_a_tag_that_arrives_late():
    with Registry(GOOD.username, GOOD.password) as registry:
        registry.tags.add("fountainai/character:aaa")
        names = [f"{registry.host}/fountainai/character:aaa", f"{registry.host}/fountainai/logging:bbb"]
        said: list[str] = []
        threading.Timer(0.5, lambda: registry.tags.add("fountainai/logging:bbb")).start()
        started = time.monotonic()
        wait_for_images(names, GOOD, timeout=10, interval=0.1, say=said.append)
        assert 0.4 < time.monotonic() - started < 5
        assert said and "fountainai/logging:bbb" in said[0]


def test_missing_tags_are_named_after_the_timeout():
    with Registry(GOOD.username, GOOD.password) as registry:
        registry.tags.add("fountainai/character:aaa")
        names = [f"{registry.host}/fountainai/character:aaa", f"{registry.host}/fountainai/logging:bbb"]
        with pytest.raises(DeployError) as error:
            wait_for_images(names, GOOD, timeout=0.3, interval=0.1)
        assert str(error.value).startswith(
            f"images not in the registry after 0 s: {registry.host}/fountainai/logging:bbb;"
        )


def test_wrong_registry_credentials_fail_at_once():
    with Registry(GOOD.username, GOOD.password) as registry:
        with pytest.raises(DeployError, match=r"refused the credentials \(401\)"):
            wait_for_images([f"{registry.host}/fountainai/x:1"], Credentials("fountainbot", "wrong"), timeout=30)
