"""Deploy, roll back and report on a host, in the style of Capistrano and Kamal: releases, a lock, a switch.

`deploy()` and `rollback()` read as runbooks: an ordered list of named steps, run by `_Runbook.run`,
which holds the one try/except and writes the one audit line of any outcome (Kamal's
`cli/main.rb#deploy`: lock, boot, health gate, prune, unlock).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

from generator.contract import GATEWAY

from . import commands
from .errors import DeployError
from .host_context import DeployOptions, HostContext, Progress
from .lock import Lock
from .release import Release

__all__ = ["DeployOptions", "Outcome", "deploy", "prepare", "rollback", "status"]


@dataclass(frozen=True)
class Outcome:
    release: str
    action: str  # deployed | noop | rollback
    message: str


class StepFailed(DeployError):
    """A step's failure with the word the audit log records for it (rejected, pull-failed, ...)."""

    def __init__(self, message: str, audit: str):
        super().__init__(message)
        self.audit = audit


class _Runbook:
    """The methods named in STEPS, run in that order under the host's lock until one returns an Outcome."""

    action = ""
    STEPS: tuple[str, ...] = ()

    def __init__(self, ctx: HostContext):
        self.ctx = ctx
        self.host_lock = Lock(ctx.host, ctx.layout, ctx.options.lock_ttl)
        self.release = "-"  # what the audit line names; set once known
        self.current: str | None = None
        self.bad: list[str] = []

    def steps(self) -> list[tuple[str, Callable[[], Outcome | None]]]:
        return [(name, getattr(self, name)) for name in self.STEPS]

    def lock(self) -> None:
        self.host_lock.acquire()
        if self.host_lock.stale_owner:
            self.ctx.say(f"took over a stale lock held by {self.host_lock.stale_owner}")

    def migrate(self) -> None:
        self.bad = self.ctx.migrate()

    def run(self) -> Outcome:
        step = "lock"
        try:
            for name, run in self.steps():
                step = name  # named in the audit line if it fails
                outcome = run()
                if outcome is not None:
                    self.ctx.audit(self.action, self.release, "noop" if outcome.action == "noop" else "ok")
                    return outcome
            raise AssertionError(f"{self.action}: the runbook ended without an outcome")  # a bug in the list
        except BaseException as error:
            # A refused lock touched nothing, and only the lock holder writes the audit log.
            # Best effort: when the connection itself is gone, the step's own error is the one to report.
            with suppress(DeployError):
                if self.host_lock.held:
                    self.ctx.audit(self.action, self.release, getattr(error, "audit", f"failed:{step}"))
            raise
        finally:
            if self.host_lock.held:
                self.host_lock.release()


class _Deploy(_Runbook):
    action = "deploy"
    STEPS = ("lock", "noop", "images", "upload", "verify", "pull", "switch", "migrate", "health", "prune")

    def __init__(self, ctx: HostContext, release: Release):
        super().__init__(ctx)
        self.bundle, self.release = release, release.name
        self.incoming: str | None = None

    def noop(self) -> Outcome | None:
        # Read under the lock: until we hold it another deploy may move `current`.
        self.current = self.ctx.linked(self.ctx.layout.current)
        if self.current == self.release and not self.ctx.unhealthy_now(self.bundle.services):
            return Outcome(
                self.release, "noop", f"release {self.release} is already current and healthy; nothing to do"
            )
        return None

    def images(self) -> None:
        """Deploy only tags the registry holds: wait for them (naming the missing ones), then log in."""
        try:
            self.ctx.images_ready(self.bundle.service_images)
        except DeployError as error:
            raise StepFailed(str(error), "images-missing") from None

    def upload(self) -> None:
        self.ctx.say(f"uploading release {self.release} ({len(self.bundle.files)} files)")
        self.ctx.discard_incoming()  # leftovers of cut-off uploads; we hold the lock
        if self.ctx.complete(self.release):
            self.ctx.say(f"release {self.release} is already on the host")
        else:
            self.incoming = self.ctx.upload(self.bundle)

    def _compose_file(self) -> str:
        return self.ctx.layout.compose_file(self.ctx.layout.release(self.release))

    def verify(self) -> None:
        if self.incoming:
            self.ctx.publish(self.incoming, self.release)
        code, _, err = self.ctx.host.run(commands.compose(self._compose_file(), "config", "-q"), check=False)
        if code != 0:
            last = err.strip().splitlines()[-1:]
            raise StepFailed(f"release {self.release}: docker compose rejects the bundle: {last}", "rejected")

    def pull(self) -> None:
        self.ctx.say("pulling images")
        code, out, err = self.ctx.host.run(commands.compose(self._compose_file(), "pull"), check=False)
        if code != 0:
            last = (err or out).strip().splitlines()[-1:] or [f"exit {code}"]
            kept = f"release {self.current} keeps running" if self.current else "nothing was running"
            raise StepFailed(f"release {self.release}: pulling images failed ({last[0]}); {kept}", "pull-failed")

    def switch(self) -> None:
        self.ctx.say(f"switching current to {self.release}")
        self.ctx.switch(self.release)

    def health(self) -> None:
        """Healthy, or back to the release that ran before (checked again), with the failing services' logs."""
        self.bad = self.bad or self.ctx.start_and_check(self.release)
        if not self.bad:
            refused = self.ctx.gateway_refuses_unkeyed(self.bundle)
            if refused is None:
                return
            self.ctx.say(f"gateway key check failed: {refused}")
            self.bad = [GATEWAY]
        bad, name, current, audit = ", ".join(self.bad), self.release, self.current, ",".join(self.bad)
        report = self.ctx.failure_report(self.bad)
        if not current or current == name:
            raise StepFailed(
                f"release {name}: unhealthy: {bad}; no earlier release to return to\n{report}", f"unhealthy:{audit}"
            )
        self.ctx.say(f"unhealthy: {bad}; switching back to {current}")
        self.ctx.switch(current)
        still = self.ctx.bring_up(current)
        state = "healthy again" if not still else f"but {', '.join(still)} still unhealthy"
        raise StepFailed(
            f"release {name}: unhealthy: {bad}; rolled back to {current} ({state})\n{report}",
            f"rolled-back-to:{current}:unhealthy:{audit}",
        )

    def prune(self) -> Outcome:
        pruned = self.ctx.prune()
        note = f"; pruned {len(pruned)} old release(s)" if pruned else ""
        return Outcome(self.release, "deployed", f"release {self.release} is live and healthy{note}")


class _Rollback(_Runbook):
    action = "rollback"
    STEPS = ("lock", "choose", "switch", "migrate", "health")

    def __init__(self, ctx: HostContext, to: str | None):
        super().__init__(ctx)
        self.to = to

    def choose(self) -> None:
        where = self.ctx.host.where
        target = self.to or self.ctx.linked(self.ctx.layout.previous)
        if not target:
            raise DeployError(f"{where}: no previous release to roll back to")
        if not self.ctx.complete(target):
            raise DeployError(f"{where}: release {target} is not on the host (see `fountain status`)")
        self.release, self.current = target, self.ctx.linked(self.ctx.layout.current)

    def switch(self) -> None:
        self.ctx.say(f"switching current from {self.current} to {self.release}")
        self.ctx.switch(self.release)

    def health(self) -> Outcome:
        self.bad = self.bad or self.ctx.start_and_check(self.release)
        if self.bad:
            raise StepFailed(
                f"rolled back to {self.release}, but unhealthy: {', '.join(self.bad)}\n"
                f"{self.ctx.failure_report(self.bad)}",
                f"unhealthy:{','.join(self.bad)}",
            )
        return Outcome(self.release, "rollback", f"release {self.release} is live and healthy (was {self.current})")


def deploy(options: DeployOptions, release: Release, progress: Progress = lambda _: None) -> Outcome:
    """Lock, upload, verify, pull, switch, migrate, check (switching back on failure), prune."""
    with HostContext(options, progress) as ctx:
        ctx.say(f"connected to {ctx.host.where}")
        ctx.preflight()
        return _Deploy(ctx, release).run()


def rollback(options: DeployOptions, to: str | None = None, progress: Progress = lambda _: None) -> Outcome:
    """Switch back to the previous release (or a named one still on the host) and check it."""
    with HostContext(options, progress) as ctx:
        ctx.preflight()
        return _Rollback(ctx, to).run()


def prepare(options: DeployOptions) -> dict[str, object]:
    """Idempotent host check and setup: Docker with Compose present, the release layout, free disk."""
    with HostContext(options, lambda _: None) as ctx:
        ctx.preflight()
        return {
            "host": ctx.host.where,
            "compose": ctx.compose_version(),
            "user": ctx.host.run(commands.whoami())[1].strip(),
            "root": ctx.layout.root,
            "free_mb": ctx.free_mb(),
        }


def status(options: DeployOptions) -> dict[str, object]:
    """What runs on the host: current and previous release, all releases, the lock, unhealthy services."""
    with HostContext(options, lambda _: None) as ctx:
        lay = ctx.layout
        current = ctx.linked(lay.current)
        _, lock, _ = ctx.host.run(commands.lock_owner(lay), check=False)
        bad = ctx.unhealthy_now(ctx.services(current)) if current else []
        _, audit, _ = ctx.host.run(commands.tail(lay.audit, 5), check=False)
        return {
            "host": ctx.host.where,
            "current": current,
            "previous": ctx.linked(lay.previous),
            "releases": ctx.release_names(),
            "locked_by": lock.split()[0] if lock.strip() else None,
            "unhealthy": bad,
            "healthy": bool(current) and not bad,
            "audit": audit.splitlines(),
        }
