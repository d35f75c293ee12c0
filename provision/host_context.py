"""One connection to a host with its release layout: the operations deploy, rollback and status share."""

from __future__ import annotations

import posixpath
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import yaml

from generator.contract import (
    COMPOSE_FILE,
    DATABASE,
    GATEWAY,
    INFRASTRUCTURE,
    INIT_SCRIPT_IN_CONTAINER,
    KONG_RUNTIME_CONFIG,
    bundle_services,
)

from . import commands
from .connection import Host, Target, load_key
from .errors import DeployError
from .gateway_keys import auth_probe
from .health import gateway_auth, log_tail, wait_healthy
from .known_hosts import HostKeyChanged
from .layout import DEFAULT_ROOT, Layout
from .lock import who
from .registry import Credentials, parse_image, registry_host, wait_for_images
from .release import MANIFEST, Release

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DeployOptions:
    target: Target
    private_key: str
    root: str = DEFAULT_ROOT
    keep: int = 5
    lock_ttl: float = 900.0
    health_timeout: float = 120.0
    min_free_mb: int = 512
    # A host Pulumi has just created is still booting and installing Docker: keep trying this long.
    ready_timeout: float = 0.0
    # With registry credentials the deploy waits (up to image_timeout) for the services' tags to be in the
    # registry, since the service repositories' workflows build them after Pulumi publishes the trees,
    # and logs the host in to the registry before it pulls.
    registry: Credentials | None = None
    image_timeout: float = 600.0


class HostContext:
    """One connection, one layout, the options and the progress callback of one command."""

    def __init__(self, options: DeployOptions, progress: Progress):
        self.options = options
        self.layout = Layout(options.root)
        self.say = progress
        self.host = Host(options.target, load_key(options.private_key))
        self._published: dict[str, str] = {}

    def __enter__(self) -> HostContext:
        self._until_ready(self.host.open, "reachable")
        return self

    def __exit__(self, *exc: object) -> None:
        self.host.close()

    def _until_ready(self, attempt: Callable[[], None], what: str) -> None:
        """Retry a step that fails while the host boots, up to ready_timeout; then its error stands."""
        deadline = time.monotonic() + self.options.ready_timeout
        while True:
            try:
                return attempt()
            except HostKeyChanged:
                raise  # a different key is not a host still booting
            except DeployError:
                if time.monotonic() >= deadline:
                    raise
                self.say(f"waiting for the host to be {what}")
                time.sleep(2)

    # -- what is on the host -------------------------------------------------------------------------
    def compose_version(self) -> str:
        code, out, err = self.host.run(commands.compose_version(), check=False)
        if code != 0:
            detail = (err or out).strip().splitlines()[:1] or [f"exit {code}"]
            raise DeployError(f"{self.host.where}: no Docker with the Compose plugin on the host ({detail[0]})")
        return out.strip()

    def free_mb(self) -> int:
        return commands.parse_free_mb(self.host.run(commands.disk_free(self.layout.root))[1])

    def images_ready(self, images: list[str]) -> None:
        """Wait for the services' tags in the registry, then log the host in (the password on stdin only)."""
        credentials = self.options.registry
        if credentials is None:
            return
        self.say(f"checking {len(images)} image tag(s) in the registry")
        wait_for_images(images, credentials, self.options.image_timeout, say=self.say)
        for server in sorted({registry_host(parse_image(i)) for i in images}):
            login = commands.registry_login(credentials.username, server)
            code, out, err = self.host.run(login, check=False, stdin=credentials.password + "\n")
            if code != 0:
                last = (err or out).strip().splitlines()[-1:] or [f"exit {code}"]
                raise DeployError(f"{self.host.where}: docker login to {server} failed ({last[0]})")

    def preflight(self) -> None:
        """Docker with Compose present, the release layout in place, enough free disk."""
        self._until_ready(self.compose_version, "ready (Docker with Compose)")
        self.host.run(*commands.make_layout(self.layout))
        free = self.free_mb()
        if free < self.options.min_free_mb:
            raise DeployError(
                f"{self.host.where}: disk full: {free} MB free under {self.layout.root}, "
                f"a deploy needs {self.options.min_free_mb} MB"
            )

    def linked(self, link: str) -> str | None:
        """The release a link (layout.current or layout.previous) points at, if any."""
        code, out, _ = self.host.run(commands.read_link(link), check=False)
        return commands.parse_link_target(out) if code == 0 else None

    def release_names(self) -> list[str]:
        """Complete releases, most recently used first."""
        return commands.parse_release_names(self.host.run(commands.list_releases(self.layout), check=False)[1])

    def complete(self, name: str) -> bool:
        return self.host.run(commands.is_complete(self.layout, name), check=False)[0] == 0

    def services(self, name: str) -> list[str]:
        compose_file = self.layout.compose_file(self.layout.release(name))
        _, out, _ = self.host.run(commands.compose(compose_file, "config", "--services"))
        return [s for s in out.split() if s not in INFRASTRUCTURE]

    def unhealthy_now(self, services: list[str]) -> list[str]:
        return wait_healthy(self.host, self.layout.compose_file(self.layout.current), services, 0)

    # -- what changes it -----------------------------------------------------------------------------
    def discard_incoming(self) -> None:
        self.host.run(commands.remove_incoming(self.layout))

    def upload(self, release: Release) -> str:
        """Into a private incoming folder (secret files 0600 before a byte is written); returns that folder."""
        incoming = self.layout.incoming(release.name, secrets.token_hex(6))
        folders = sorted({posixpath.dirname(rel) for rel in release.files} - {""})
        self.host.run(commands.make_dirs(incoming, *(posixpath.join(incoming, f) for f in folders)))
        for rel, data in sorted(release.files.items()):
            secret = rel in release.secret_files and rel not in release.container_read
            mode = 0o600 if secret else (0o755 if rel.endswith(".sh") else 0o644)
            self.host.write(posixpath.join(incoming, rel), data, mode)
        self.host.write(posixpath.join(incoming, MANIFEST), release.manifest(), 0o644)
        return incoming

    def publish(self, incoming: str, name: str) -> None:
        """Verify the upload against its manifest, then one rename: a cut-off upload is never a release."""
        self.host.run(*commands.publish(incoming, self.layout.release(name), MANIFEST))

    def switch(self, name: str) -> None:
        """Point `current` at a release with one rename (atomic), remembering the one before."""
        old = self.linked(self.layout.current)
        if old and old != name:
            self.host.run(*commands.point(self.layout.previous, old))
        self.host.run(*commands.point(self.layout.current, name), commands.touch_complete(self.layout, name))

    def release_file(self, path: str) -> str:
        """A file of a published release, read over SSH once per command: a release never changes once published."""
        if path not in self._published:
            self._published[path] = self.host.run(commands.read_file(path))[1]
        return self._published[path]

    def database_declaration(self, release_dir: str) -> tuple[str, list[str]]:
        """How a release declares PostgreSQL: its compose block and the manifest lines of the files it reads."""
        compose_file = self.layout.compose_file(release_dir)
        text = self.release_file(compose_file)
        _, manifest, _ = self.host.run(commands.read_file(posixpath.join(release_dir, MANIFEST)), check=False)
        block = yaml.safe_load(text)["services"][DATABASE]
        # Env files and bind-mount sources, relative to the compose file's folder as Compose reads them.
        sources = [
            *block.get("env_file", []),
            *(v.split(":")[0] for v in block.get("volumes", []) if v.startswith(".")),
        ]
        compose_dir = posixpath.relpath(posixpath.dirname(compose_file), release_dir)
        read = {posixpath.normpath(posixpath.join(compose_dir, source)) for source in sources}
        lines = sorted(line for line in manifest.splitlines() if line.partition("  ")[2] in read)
        return yaml.safe_dump(block, sort_keys=True), lines

    def migrate(self, name: str) -> list[str]:
        """PostgreSQL up (as release `name` declares it), then its init script again; [postgres] when that fails."""
        # The script is idempotent and adds the database of a new service, which the entrypoint alone does
        # only on a fresh volume. Passwords come from the container's env.
        release_dir = self.layout.release(name)
        current = self.linked(self.layout.current)
        if current and self.database_declaration(self.layout.release(current)) == self.database_declaration(
            release_dir
        ):
            # Same declaration: bring it up through current/, the path PostgreSQL was started with. Compose
            # recreates a container whose definition changed, and a bind mount's source path is part of it:
            # the init script lies under each release's folder, so the new release's file would recreate
            # PostgreSQL on every deploy, and leave it on a failed release's definition.
            release_dir = self.layout.current
        compose_file = self.layout.compose_file(release_dir)
        self.host.run(
            commands.compose_up(compose_file, int(self.options.health_timeout), DATABASE, remove_orphans=False),
            check=False,
        )
        init = commands.compose_exec(compose_file, DATABASE, "bash", INIT_SCRIPT_IN_CONTAINER)
        return [DATABASE] if self.host.run(init, check=False)[0] != 0 else []

    def changed_services(self, release: Release, current: str | None) -> list[str]:
        """The services whose image differs from the running release's (every one on a first deploy)."""
        images = yaml.safe_load(release.files[COMPOSE_FILE])["services"]
        before: dict[str, dict[str, str]] = {}
        if current:
            text = self.release_file(self.layout.compose_file(self.layout.release(current)))
            before = yaml.safe_load(text)["services"]
        return [s for s in release.services if before.get(s, {}).get("image") != images[s]["image"]]

    def upgrade_schema(self, name: str, service: str) -> str | None:
        """The service's migrations with release `name`'s image and env; None, or the last line of the failure."""
        compose_file = self.layout.compose_file(self.layout.release(name))
        package = bundle_services(yaml.safe_load(self.release_file(compose_file)))[service]
        code, out, err = self.host.run(commands.compose_migrate(compose_file, service, package), check=False)
        if code == 0:
            return None
        return commands.parse_failure(err or out) or f"exit {code}"

    def start_and_check(self, name: str) -> list[str]:
        """`up --wait`, then our own health check through the gateway; returns the unhealthy services."""
        compose_file = self.layout.compose_file(self.layout.current)
        timeout = int(self.options.health_timeout)
        self.host.run(commands.compose_up(compose_file, timeout), check=False)  # its verdict is re-checked below
        # Kong reads its declarative file only when it starts, and the mount's path (under `current`) is the same
        # in every release, so compose sees no change: a new container makes it load this release's keys.
        self.host.run(commands.compose_recreate(compose_file, timeout, GATEWAY), check=False)
        return wait_healthy(self.host, compose_file, self.services(name), timeout=min(timeout, 30))

    def gateway_refuses_unkeyed(self, release: Release) -> str | None:
        """The key check through Kong: a keyed request passes, an unkeyed one gets 401 (None: so it is)."""
        runtime = yaml.safe_load(release.files[f"compose/{KONG_RUNTIME_CONFIG}"])
        probe = auth_probe(runtime)
        if probe is None:
            return None
        return gateway_auth(self.host, self.layout.compose_file(self.layout.current), probe)

    def bring_up(self, name: str) -> list[str]:
        """Migrate, start and check the release `current` points at; returns the unhealthy services."""
        return self.migrate(name) or self.start_and_check(name)

    def prune(self) -> list[str]:
        """Keep the newest `keep` releases (by last use), and always current and previous."""
        names = self.release_names()
        keep = set(names[: self.options.keep]) | {self.linked(self.layout.current), self.linked(self.layout.previous)}
        doomed = [n for n in names if n not in keep]
        for name in doomed:
            self.host.run(commands.remove(self.layout.release(name)))
        return doomed

    def audit(self, action: str, release: str, outcome: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.host.run(commands.append_line(self.layout.audit, f"{stamp} {who()} {action} {release} {outcome}"))

    def failure_report(self, bad: list[str]) -> str:
        compose_file = self.layout.compose_file(self.layout.current)
        tails = [f"--- last log lines of {s} ---\n{log_tail(self.host, compose_file, s)}" for s in bad]
        return "\n".join(tails)
