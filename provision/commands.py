"""Every command the provisioning step runs on a host, as data: builders return argv lists, parsers read output.

Like Kamal's `lib/kamal/commands/*.rb`: nothing here touches a host, so each builder is tested by equality.
The one executor (`connection.Host.run`) quotes with `shlex.join` and chains several argvs with `&&`.
A step that needs the shell (a glob, a redirection) is `sh -c SCRIPT sh ARG...`: the script is a constant
and every value reaches it as a positional parameter, never pasted into the script.
"""

from __future__ import annotations

import posixpath
import re

from .layout import COMPLETE, PROJECT, Layout

Argv = list[str]


def _sh(script: str, *args: str) -> Argv:
    """A constant shell script with its values as positional parameters ($1, $2, ...)."""
    return ["sh", "-c", script, "sh", *args]


# -- the host ----------------------------------------------------------------------------------------
def compose_version() -> Argv:
    return ["docker", "compose", "version"]


def whoami() -> Argv:
    return ["id", "-un"]


def registry_login(username: str, server: str) -> Argv:
    """`docker login` reading the password from stdin, so it is on no command line."""
    return ["docker", "login", "--username", username, "--password-stdin", server]


def make_layout(layout: Layout) -> list[Argv]:
    return [["mkdir", "-p", layout.releases], ["chmod", "750", layout.root, layout.releases]]


def disk_free(path: str) -> Argv:
    return ["df", "-Pk", path]


def parse_free_mb(df_output: str) -> int:
    """Free MB from POSIX `df -Pk` output: the fourth column of the last line, in KiB."""
    return int(df_output.strip().splitlines()[-1].split()[3]) // 1024


# -- releases ----------------------------------------------------------------------------------------
def read_link(path: str) -> Argv:
    return ["readlink", path]


def parse_link_target(output: str) -> str | None:
    """The release name a `current` or `previous` link points at (releases/<name>)."""
    return posixpath.basename(output.strip()) or None


def is_complete(layout: Layout, name: str) -> Argv:
    return ["test", "-f", posixpath.join(layout.release(name), COMPLETE)]


def list_releases(layout: Layout) -> Argv:
    """Every complete release, most recently used first (the marker is touched on each switch)."""
    return _sh(f'ls -1t "$1"/*/{COMPLETE} 2>/dev/null', layout.releases)


def parse_release_names(output: str) -> list[str]:
    return [posixpath.basename(posixpath.dirname(p)) for p in output.split()]


def remove_incoming(layout: Layout) -> Argv:
    """Leftovers of cut-off uploads; only the lock holder runs this."""
    return _sh('rm -rf "$1"/.incoming-*', layout.releases)


def make_dirs(*paths: str) -> Argv:
    return ["mkdir", "-p", *paths]


def publish(incoming: str, target: str, manifest: str) -> list[Argv]:
    """Check every file against the manifest, mark it complete, and rename it into place in one step."""
    return [
        ["cd", incoming],
        ["sha256sum", "--quiet", "-c", manifest],
        ["touch", COMPLETE],
        ["rm", "-rf", target],
        ["mv", "-T", incoming, target],
    ]


def point(link: str, name: str) -> list[Argv]:
    """Point a link at releases/<name> with one rename, so it is never missing or half-written."""
    return [["ln", "-sfn", f"releases/{name}", f"{link}.next"], ["mv", "-T", f"{link}.next", link]]


def touch_complete(layout: Layout, name: str) -> Argv:
    return ["touch", posixpath.join(layout.release(name), COMPLETE)]


def remove(path: str) -> Argv:
    return ["rm", "-rf", path]


def append_line(path: str, line: str) -> Argv:
    return _sh('printf "%s\\n" "$2" >> "$1"', path, line)


def read_file(path: str) -> Argv:
    return ["cat", path]


def tail(path: str, lines: int) -> Argv:
    return ["tail", f"-{lines}", path]


# -- the lock ----------------------------------------------------------------------------------------
def take_lock(layout: Layout, owner: str) -> Argv:
    """`mkdir` is atomic: exactly one of two deploys creates the folder, then it writes who it is."""
    return _sh('mkdir "$1" 2>/dev/null && printf "%s\\n" "$2" > "$1/owner"', layout.lock, owner)


def lock_owner(layout: Layout) -> Argv:
    return read_file(layout.lock_owner)


def release_lock(layout: Layout, token: str) -> Argv:
    """Only our own lock is removed: a taken-over stale lock's first owner must not remove the new one."""
    return _sh('grep -q "$2" "$1/owner" 2>/dev/null && rm -rf "$1"', layout.lock, token)


# -- docker compose ----------------------------------------------------------------------------------
def compose(compose_file: str, *args: str) -> Argv:
    return ["docker", "compose", "-p", PROJECT, "-f", compose_file, *args]


def compose_up(compose_file: str, wait_seconds: int, *services: str, remove_orphans: bool = True) -> Argv:
    """`up -d --wait`: returns once the containers are healthy or the wait is over."""
    orphans = ["--remove-orphans"] if remove_orphans else []
    return compose(compose_file, "up", "-d", *orphans, "--wait", "--wait-timeout", str(wait_seconds), *services)


# The upgrade the service itself runs on start (MIGRATE_ON_START): its runtime's Database.migrate over the
# migrations inside its installed package (the image holds no alembic.ini). The package comes as $1.
_MIGRATE = (
    "import importlib, sys; from pathlib import Path; p = sys.argv[1]; "
    "settings = importlib.import_module(p + '.config').Settings(); "
    "importlib.import_module(p + '.runtime.db').Database(settings.database_url)"
    ".migrate(Path(importlib.import_module(p).__file__).parent / 'migrations')"
)


def compose_migrate(compose_file: str, service: str, package: str) -> Argv:
    """The service's Alembic upgrade to head in a one-off container of its image and env (its DATABASE_URL).

    `--no-deps`: PostgreSQL is already up, and nothing of the new release may start before the switch.
    """
    return compose(compose_file, "run", "--rm", "--no-deps", "-T", service, "python", "-c", _MIGRATE, package)


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b[^:]*: ")


def parse_failure(output: str) -> str | None:
    """The line that says why a Python program failed: its traceback's last `module.Error: message` line
    (SQLAlchemy follows it with the SQL and a link to its docs), else the last line; None for no output."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return next((line for line in reversed(lines) if _EXCEPTION_LINE.match(line)), lines[-1] if lines else None)


def compose_recreate(compose_file: str, wait_seconds: int, service: str) -> Argv:
    """`up -d --force-recreate --no-deps --wait` for one service: a new container, started on the current files."""
    return compose(
        compose_file,
        "up",
        "-d",
        "--force-recreate",
        "--no-deps",
        "--wait",
        "--wait-timeout",
        str(wait_seconds),
        service,
    )


def compose_pull(compose_file: str) -> Argv:
    # Tags are content hashes, so an image already on the host is that very build: pull only what is missing.
    return compose(compose_file, "pull", "--policy", "missing")


def compose_exec(compose_file: str, service: str, *argv: str) -> Argv:
    return compose(compose_file, "exec", "-T", service, *argv)


def http_status(method: str, url: str, *, headers_on_stdin: bool = False) -> Argv:
    """curl printing only the status code; extra headers (a key) read from stdin, not from argv."""
    return [
        "curl",
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-X",
        method,
        *(["-H", "@-"] if headers_on_stdin else []),
        url,
    ]


def compose_logs(compose_file: str, service: str, lines: int) -> Argv:
    return compose(compose_file, "logs", "--no-color", "--tail", str(lines), service)
