"""Deploy, roll back and report on a host, in the style of Capistrano and Kamal: releases, a lock, a switch."""

from __future__ import annotations

import posixpath
import secrets
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from generator.bundle.compose import DATABASE, INFRASTRUCTURE, INIT_SCRIPT_IN_CONTAINER

from .compose import compose, up
from .connection import Host, Target, load_key
from .errors import DeployError
from .health import log_tail, wait_healthy
from .known_hosts import HostKeyChanged
from .layout import Layout
from .lock import Lock, who
from .registry import Credentials, parse_image, registry_host, wait_for_images
from .release import MANIFEST, Release

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DeployOptions:
    target: Target
    private_key: str
    root: str = "/srv/fountainai"
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


@dataclass(frozen=True)
class Outcome:
    release: str
    action: str  # deployed | noop | rolled-back | rollback
    message: str


def _q(path: str) -> str:
    return shlex.quote(path)


class Session:
    """One connection, one layout, the steps shared by deploy and rollback."""

    def __init__(self, options: DeployOptions, progress: Progress):
        self.options = options
        self.layout = Layout(options.root)
        self.say = progress
        self.host = Host(options.target, load_key(options.private_key))

    def __enter__(self) -> Session:
        self._until_ready(self.host.open, "reachable")
        return self

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

    def __exit__(self, *exc: object) -> None:
        self.host.close()

    # -- checks ---------------------------------------------------------------------------------
    def _docker(self) -> None:
        code, out, err = self.host.run("docker compose version", check=False)
        if code != 0:
            detail = (err or out).strip().splitlines()[:1] or [f"exit {code}"]
            raise DeployError(f"{self.host.where}: no Docker with the Compose plugin on the host ({detail[0]})")

    def preflight(self) -> None:
        self._until_ready(self._docker, "ready (Docker with Compose)")
        lay = self.layout
        self.host.run(f"mkdir -p {_q(lay.releases)} && chmod 750 {_q(lay.root)} {_q(lay.releases)}")
        _, out, _ = self.host.run(f"df -Pk {_q(lay.root)} | tail -1")
        free_mb = int(out.split()[3]) // 1024
        if free_mb < self.options.min_free_mb:
            raise DeployError(
                f"{self.host.where}: disk full: {free_mb} MB free under {lay.root}, a deploy needs {self.options.min_free_mb} MB"
            )

    def current(self) -> str | None:
        code, out, _ = self.host.run(f"readlink {_q(self.layout.current)}", check=False)
        return posixpath.basename(out.strip()) if code == 0 and out.strip() else None

    def previous(self) -> str | None:
        code, out, _ = self.host.run(f"readlink {_q(self.layout.previous)}", check=False)
        return posixpath.basename(out.strip()) if code == 0 and out.strip() else None

    def complete(self, name: str) -> bool:
        return self.host.run(f"test -f {_q(self.layout.release(name))}/.complete", check=False)[0] == 0

    def services(self, name: str) -> list[str]:
        _, out, _ = self.host.run(compose(self.layout.compose_file(self.layout.release(name)), "config", "--services"))
        return [s for s in out.split() if s not in INFRASTRUCTURE]

    # -- steps ----------------------------------------------------------------------------------
    def upload(self, release: Release) -> None:
        """Into a private incoming folder, verified, then renamed: a cut-off upload is never a release."""
        lay = self.layout
        self.host.run(f"rm -rf {_q(lay.releases)}/.incoming-*")  # leftovers of cut-off uploads; we hold the lock
        if self.complete(release.name):
            self.say(f"release {release.name} is already on the host")
            return
        incoming = lay.incoming(release.name, secrets.token_hex(6))
        folders = sorted({posixpath.dirname(rel) for rel in release.files} - {""})
        self.host.run(" ".join(["mkdir -p", _q(incoming), *(_q(posixpath.join(incoming, f)) for f in folders)]))
        for rel, data in sorted(release.files.items()):
            mode = 0o600 if rel in release.secret_files else (0o755 if rel.endswith(".sh") else 0o644)
            self.host.write(posixpath.join(incoming, rel), data, mode)
        self.host.write(posixpath.join(incoming, MANIFEST), release.manifest(), 0o644)
        target = lay.release(release.name)
        self.host.run(
            f"cd {_q(incoming)} && sha256sum --quiet -c {MANIFEST} && touch .complete "
            f"&& rm -rf {_q(target)} && mv -T {_q(incoming)} {_q(target)}"
        )

    def images_ready(self, release: Release) -> None:
        """Wait for the services' tags in the registry, then log the host in (password on stdin only)."""
        credentials = self.options.registry
        if credentials is None:
            return
        images = release.service_images
        self.say(f"checking {len(images)} image tag(s) in the registry")
        wait_for_images(images, credentials, self.options.image_timeout, say=self.say)
        for server in sorted({registry_host(parse_image(i)) for i in images}):
            login = shlex.join(["docker", "login", "--username", credentials.username, "--password-stdin", server])
            code, out, err = self.host.run(login, check=False, stdin=credentials.password + "\n")
            if code != 0:
                last = (err or out).strip().splitlines()[-1:] or [f"exit {code}"]
                raise DeployError(f"{self.host.where}: docker login to {server} failed ({last[0]})")

    def switch(self, name: str) -> None:
        """Point `current` at a release with one rename (atomic), remembering the one before."""
        lay = self.layout
        old = self.current()
        if old and old != name:
            self.host.run(
                f"ln -sfn releases/{old} {_q(lay.previous)}.next && mv -T {_q(lay.previous)}.next {_q(lay.previous)}"
            )
        self.host.run(
            f"ln -sfn releases/{name} {_q(lay.current)}.next && mv -T {_q(lay.current)}.next {_q(lay.current)}"
            f" && touch {_q(lay.release(name))}/.complete"
        )

    def bring_up(self, name: str) -> list[str]:
        """`up --wait`, then our own health check through the gateway; returns the unhealthy services."""
        compose_file = self.layout.compose_file(self.layout.current)
        timeout = int(self.options.health_timeout)
        # PostgreSQL first, then its init script again: idempotent, it adds the database of a new service,
        # which the entrypoint alone does only on a fresh volume. Passwords come from the container's env.
        self.host.run(
            compose(compose_file, "up", "-d", "--wait", "--wait-timeout", str(timeout), DATABASE), check=False
        )
        init = compose(compose_file, "exec", "-T", DATABASE, "bash", INIT_SCRIPT_IN_CONTAINER)
        if self.host.run(init, check=False)[0] != 0:
            return [DATABASE]
        self.host.run(up(compose_file, timeout), check=False)  # its verdict is re-checked just below
        return wait_healthy(self.host, compose_file, self.services(name), timeout=min(timeout, 30))

    def prune(self) -> list[str]:
        """Keep the newest `keep` releases (by last use), and always current and previous."""
        lay = self.layout
        _, out, _ = self.host.run(f"ls -1t {_q(lay.releases)}/*/.complete 2>/dev/null", check=False)
        names = [posixpath.basename(posixpath.dirname(p)) for p in out.split()]
        keep = set(names[: self.options.keep]) | {self.current(), self.previous()}
        doomed = [n for n in names if n not in keep]
        for name in doomed:
            self.host.run(f"rm -rf {_q(lay.release(name))}")
        return doomed

    def audit(self, action: str, release: str, outcome: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = f"{stamp} {who()} {action} {release} {outcome}"
        self.host.run(f"printf '%s\\n' {shlex.quote(line)} >> {_q(self.layout.audit)}")

    def failure_report(self, name: str, bad: list[str]) -> str:
        compose_file = self.layout.compose_file(self.layout.current)
        tails = [f"--- last log lines of {s} ---\n{log_tail(self.host, compose_file, s)}" for s in bad]
        return "\n".join(tails)


def _locked(session: Session, step: Callable[[], Outcome]) -> Outcome:
    lock = Lock(session.host, session.layout, session.options.lock_ttl)
    lock.acquire()
    if lock.stale_owner:
        session.say(f"took over a stale lock held by {lock.stale_owner}")
    try:
        return step()
    finally:
        lock.release()


def deploy(options: DeployOptions, release: Release, progress: Progress = lambda _: None) -> Outcome:
    """Upload, pull, switch, check; on a failed check switch back. Raises DeployError with the reason."""
    with Session(options, progress) as s:
        s.say(f"connected to {s.host.where}")
        s.preflight()

        def step() -> Outcome:
            name = release.name
            current = s.current()
            if current == name and not wait_healthy(
                s.host, s.layout.compose_file(s.layout.current), release.services, 0
            ):
                s.audit("deploy", name, "noop")
                return Outcome(name, "noop", f"release {name} is already current and healthy; nothing to do")
            try:
                s.images_ready(release)
            except DeployError:
                s.audit("deploy", name, "images-missing")
                raise
            s.say(f"uploading release {name} ({len(release.files)} files)")
            s.upload(release)
            compose_file = s.layout.compose_file(s.layout.release(name))
            code, _, err = s.host.run(compose(compose_file, "config", "-q"), check=False)
            if code != 0:
                s.audit("deploy", name, "rejected")
                raise DeployError(f"release {name}: docker compose rejects the bundle: {err.strip().splitlines()[-1:]}")
            s.say("pulling images")
            code, out, err = s.host.run(compose(compose_file, "pull"), check=False)
            if code != 0:
                s.audit("deploy", name, "pull-failed")
                last = (err or out).strip().splitlines()[-1:] or [f"exit {code}"]
                kept = f"release {current} keeps running" if current else "nothing was running"
                raise DeployError(f"release {name}: pulling images failed ({last[0]}); {kept}")
            s.say(f"switching current to {name}")
            s.switch(name)
            bad = s.bring_up(name)
            if not bad:
                s.audit("deploy", name, "ok")
                pruned = s.prune()
                note = f"; pruned {len(pruned)} old release(s)" if pruned else ""
                return Outcome(name, "deployed", f"release {name} is live and healthy{note}")
            report = s.failure_report(name, bad)
            if not current or current == name:
                s.audit("deploy", name, f"unhealthy:{','.join(bad)}")
                raise DeployError(
                    f"release {name}: unhealthy: {', '.join(bad)}; no earlier release to return to\n{report}"
                )
            s.say(f"unhealthy: {', '.join(bad)}; switching back to {current}")
            s.switch(current)
            still = s.bring_up(current)
            s.audit("deploy", name, f"rolled-back-to:{current}:unhealthy:{','.join(bad)}")
            state = "healthy again" if not still else f"but {', '.join(still)} still unhealthy"
            raise DeployError(
                f"release {name}: unhealthy: {', '.join(bad)}; rolled back to {current} ({state})\n{report}"
            )

        return _locked(s, step)


def rollback(options: DeployOptions, to: str | None = None, progress: Progress = lambda _: None) -> Outcome:
    """Switch back to the previous release (or a named one still on the host) and check it."""
    with Session(options, progress) as s:
        s.preflight()

        def step() -> Outcome:
            target = to or s.previous()
            if not target:
                raise DeployError(f"{s.host.where}: no previous release to roll back to")
            if not s.complete(target):
                raise DeployError(f"{s.host.where}: release {target} is not on the host (see `fountain status`)")
            current = s.current()
            s.say(f"switching current from {current} to {target}")
            s.switch(target)
            bad = s.bring_up(target)
            s.audit("rollback", target, "ok" if not bad else f"unhealthy:{','.join(bad)}")
            if bad:
                raise DeployError(
                    f"rolled back to {target}, but unhealthy: {', '.join(bad)}\n{s.failure_report(target, bad)}"
                )
            return Outcome(target, "rollback", f"release {target} is live and healthy (was {current})")

        return _locked(s, step)


def prepare(options: DeployOptions) -> dict[str, object]:
    """Idempotent host check and setup: Docker with Compose present, the release layout, free disk."""
    with Session(options, lambda _: None) as s:
        s.preflight()
        _, version, _ = s.host.run("docker compose version")
        _, whoami, _ = s.host.run("id -un")
        _, df, _ = s.host.run(f"df -Pk {_q(s.layout.root)} | tail -1")
        return {
            "host": s.host.where,
            "compose": version.strip(),
            "user": whoami.strip(),
            "root": s.layout.root,
            "free_mb": int(df.split()[3]) // 1024,
        }


def status(options: DeployOptions) -> dict[str, object]:
    """What runs on the host: current and previous release, all releases, the lock, unhealthy services."""
    with Session(options, lambda _: None) as s:
        lay = s.layout
        current = s.current()
        _, out, _ = s.host.run(f"ls -1t {_q(lay.releases)}/*/.complete 2>/dev/null", check=False)
        releases = [posixpath.basename(posixpath.dirname(p)) for p in out.split()]
        _, lock, _ = s.host.run(f"cat {_q(lay.lock)}/owner 2>/dev/null", check=False)
        bad = wait_healthy(s.host, lay.compose_file(lay.current), s.services(current), 0) if current else []
        _, audit, _ = s.host.run(f"tail -5 {_q(lay.audit)} 2>/dev/null", check=False)
        return {
            "host": s.host.where,
            "current": current,
            "previous": s.previous(),
            "releases": releases,
            "locked_by": lock.split()[0] if lock.strip() else None,
            "unhealthy": bad,
            "healthy": bool(current) and not bad,
            "audit": audit.splitlines(),
        }
