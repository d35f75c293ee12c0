"""Images before deploy: build and push each service image the registry does not hold yet.

The tag is the content hash of the service tree, the tag the compose file names, so an unchanged service
keeps its tag, is found in the registry and is neither rebuilt nor pushed again.
`fountain images` runs it in CI before `pulumi up`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from generator.contract import content_hash

from .errors import DeployError


@dataclass(frozen=True)
class Image:
    """One service image: `<prefix>/<service>:<tree hash>`."""

    service: str
    repository: str
    tag: str

    @property
    def ref(self) -> str:
        return f"{self.repository}:{self.tag}"


def plan(trees: Mapping[str, Mapping[str, str | bytes]], prefix: str) -> list[Image]:
    """The image of every service tree, in service order."""
    return [Image(slug, f"{prefix}/{slug}", content_hash(trees[slug])) for slug in sorted(trees)]


def registry_of(repository: str) -> str | None:
    """The registry host a repository name points at, or None for Docker Hub.

    Docker's rule (distribution/reference, normalize.go `splitDockerDomain`): the first path component is a host
    when it contains "." or ":", is "localhost", or has an upper-case letter.
    """
    first, sep, _ = repository.partition("/")
    if sep and (any(c in first for c in ".:") or first == "localhost" or first != first.lower()):
        return first
    return None


def publish(
    client: docker.DockerClient,
    trees: Mapping[str, Mapping[str, str | bytes]],
    prefix: str,
    auth: Mapping[str, str] | None = None,
    report: Callable[[str], None] = print,
) -> dict[str, str]:
    """Build and push each image the registry lacks; returns service -> "pushed" or "unchanged"."""
    outcome: dict[str, str] = {}
    for image in plan(trees, prefix):
        if _registry_has(client, image, auth):
            outcome[image.service] = "unchanged"
            report(f"{image.ref}: in the registry, not rebuilt")
            continue
        _build(client, image, trees[image.service])
        _push(client, image, auth)
        outcome[image.service] = "pushed"
        report(f"{image.ref}: built and pushed")
    return outcome


def _registry_has(client: docker.DockerClient, image: Image, auth: Mapping[str, str] | None) -> bool:
    try:
        client.images.get_registry_data(image.ref, auth_config=dict(auth) if auth else None)
    except docker.errors.NotFound:
        return False
    except docker.errors.APIError as exc:
        # Docker Hub answers a repository it has never seen with "unauthorized"; a real auth failure
        # surfaces at the push, with the registry's message.
        if exc.status_code in (401, 403):
            return False
        raise DeployError(f"{image.ref}: cannot ask the registry for the image ({exc.explanation})") from exc
    return True


def _build(client: docker.DockerClient, image: Image, tree: Mapping[str, str | bytes]) -> None:
    with tempfile.TemporaryDirectory(prefix=f"fountain-image-{image.service}-") as context:
        for rel, data in tree.items():
            path = Path(context, rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data.encode() if isinstance(data, str) else data)
        try:
            client.images.build(path=context, tag=image.ref, rm=True, forcerm=True)
        except docker.errors.BuildError as exc:
            raise DeployError(f"{image.service}: image build failed: {exc.msg}") from exc


def _push(client: docker.DockerClient, image: Image, auth: Mapping[str, str] | None) -> None:
    stream = client.images.push(
        image.repository, tag=image.tag, stream=True, decode=True, auth_config=dict(auth) if auth else None
    )
    for event in stream:
        # The engine reports a failed push inside the stream, not as an HTTP error.
        if "error" in event:
            raise DeployError(f"{image.ref}: push failed: {event['error']}")


def auth_from_env(prefix: str) -> dict[str, str] | None:
    """Registry credentials from DOCKER_USERNAME and DOCKER_PASSWORD (never the command line); None for none."""
    username, password = os.environ.get("DOCKER_USERNAME", ""), os.environ.get("DOCKER_PASSWORD", "")
    if bool(username) != bool(password):
        raise DeployError("DOCKER_USERNAME and DOCKER_PASSWORD must be set together (or neither)")
    if not username:
        return None
    auth = {"username": username, "password": password}
    registry = registry_of(prefix + "/x")
    if registry:
        auth["serveraddress"] = registry
    return auth
