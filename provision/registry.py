"""Are the release's images in the registry: a manifest HEAD per tag (registry v2 API), waited for with a deadline.

The rules followed, from the distribution project's docs (distribution/distribution `docs/spec/api.md`,
"Existing Manifests", and `docs/spec/auth/token.md`): `HEAD /v2/<name>/manifests/<reference>` answers 200 when
the tag exists and 404 when it does not; a registry that wants credentials answers 401 with
`WWW-Authenticate: Bearer realm=...,service=...,scope=...` (get a token from the realm with the user's basic
credentials and retry) or `Basic realm=...`. Image names are normalised as Docker does
(distribution/reference `normalize.go`): a first component with a `.` or `:`, or `localhost`, is a registry;
anything else is on Docker Hub, whose API host is registry-1.docker.io, with `library/` for one-part names.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import DeployError

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


@dataclass(frozen=True)
class Image:
    registry: str
    repository: str
    tag: str

    @property
    def reference(self) -> str:
        return f"{self.registry}/{self.repository}:{self.tag}"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def basic(self) -> str:
        return "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()


def parse_image(name: str) -> Image:
    """Docker's normalisation of an image name with a tag."""
    rest, _, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "latest")
    first, _, remainder = rest.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, remainder
    else:
        registry, repository = DOCKER_HUB, rest
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    return Image(registry, repository, tag)


def registry_host(image: Image) -> str:
    """The login server of an image's registry (Docker Hub's API host for docker.io)."""
    return DOCKER_HUB_API if image.registry == DOCKER_HUB else image.registry


def _base_url(registry: str) -> str:
    # Docker talks plain HTTP only to loopback registries (dockerd docs, "insecure registries": 127.0.0.0/8).
    host = registry.rsplit(":", 1)[0]
    loopback = host == "localhost" or re.fullmatch(r"127(\.\d{1,3}){3}", host)
    return f"{'http' if loopback else 'https'}://{registry}"


def _challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, params = header.partition(" ")
    return scheme.lower(), dict(re.findall(r'(\w+)="([^"]*)"', params))


def _request(url: str, method: str, headers: dict[str, str], timeout: float) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), b""
    except (urllib.error.URLError, OSError) as error:
        raise DeployError(f"registry {url.split('/v2/')[0]}: unreachable ({getattr(error, 'reason', error)})") from None


def _token(challenge: dict[str, str], credentials: Credentials | None, timeout: float) -> str:
    query = urllib.parse.urlencode({k: v for k, v in challenge.items() if k in ("service", "scope")})
    headers = {"Authorization": credentials.basic()} if credentials else {}
    status, _, body = _request(f"{challenge['realm']}?{query}", "GET", headers, timeout)
    if status != 200:
        raise DeployError(f"registry token service {challenge['realm']}: refused the credentials ({status})")
    data = json.loads(body)
    return data.get("token") or data["access_token"]


def manifest_exists(image: Image, credentials: Credentials | None, timeout: float = 10.0) -> bool:
    """HEAD the tag's manifest, answering the registry's auth challenge once; 200 yes, 404 no."""
    url = f"{_base_url(registry_host(image))}/v2/{image.repository}/manifests/{image.tag}"
    headers = {"Accept": MANIFEST_TYPES}
    status, response_headers, _ = _request(url, "HEAD", headers, timeout)
    if status == 401:
        scheme, challenge = _challenge(response_headers.get("WWW-Authenticate", ""))
        if scheme == "bearer" and "realm" in challenge:
            headers["Authorization"] = f"Bearer {_token(challenge, credentials, timeout)}"
        elif scheme == "basic" and credentials:
            headers["Authorization"] = credentials.basic()
        else:
            raise DeployError(f"registry {image.registry}: asks for credentials the deploy was not given")
        status, _, _ = _request(url, "HEAD", headers, timeout)
    if status in (200, 404):
        return status == 200
    if status in (401, 403):
        raise DeployError(f"registry {image.registry}: refused the credentials for {image.repository} ({status})")
    raise DeployError(f"registry {image.registry}: HEAD manifest of {image.reference} answered {status}")


def wait_for_images(
    names: Iterable[str],
    credentials: Credentials | None,
    timeout: float,
    *,
    interval: float = 10.0,
    say: Callable[[str], None] = lambda _: None,
) -> None:
    """Wait until every image's tag is in its registry; past the deadline, fail naming the missing tags."""
    missing = [parse_image(n) for n in sorted(set(names))]
    deadline = time.monotonic() + timeout
    while True:
        missing = [image for image in missing if not manifest_exists(image, credentials)]
        if not missing:
            return
        if time.monotonic() >= deadline:
            raise DeployError(
                f"images not in the registry after {timeout:.0f} s: {', '.join(i.reference for i in missing)}; "
                "have the service repositories' workflows built them?"
            )
        say(f"waiting for {len(missing)} image(s) to reach the registry: {missing[0].reference} ...")
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
