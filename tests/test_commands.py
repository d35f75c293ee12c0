"""Every provisioning command is data: each builder's argv compared by equality, no host needed.

The executor's quoting is checked by running the joined command through a real shell.
"""

from __future__ import annotations

import shlex
import subprocess

from provision import commands
from provision.layout import Layout

LAY = Layout("/srv/fountainai")
COMPOSE = "/srv/fountainai/current/compose/docker-compose.yml"


def test_host_checks():
    assert commands.compose_version() == ["docker", "compose", "version"]
    assert commands.whoami() == ["id", "-un"]
    assert commands.make_layout(LAY) == [
        ["mkdir", "-p", "/srv/fountainai/releases"],
        ["chmod", "750", "/srv/fountainai", "/srv/fountainai/releases"],
    ]
    assert commands.disk_free("/srv/fountainai") == ["df", "-Pk", "/srv/fountainai"]


def test_parse_free_mb_reads_the_last_line_of_posix_df():
    out = (
        "Filesystem     1024-blocks      Used Available Capacity Mounted on\n"
        "/dev/nvme0n1p1    61255492  10251720  51003772      17% /\n"
    )
    assert commands.parse_free_mb(out) == 51003772 // 1024


def test_parse_failure_finds_the_exception_line_before_sqlalchemys_footer():
    # What `compose run ... python -c <migrate>` printed for a revision that failed (the real engine's run).
    out = """Traceback (most recent call last):
  File "<string>", line 1, in <module>
psycopg.errors.UndefinedTable: relation "no_such_table" does not exist

The above exception was the direct cause of the following exception:

sqlalchemy.exc.ProgrammingError: (psycopg.errors.UndefinedTable) relation "no_such_table" does not exist
[SQL: ALTER TABLE no_such_table ADD COLUMN note TEXT]
(Background on this error at: https://sqlalche.me/e/21/f405)
"""
    assert commands.parse_failure(out) == (
        'sqlalchemy.exc.ProgrammingError: (psycopg.errors.UndefinedTable) relation "no_such_table" does not exist'
    )
    assert commands.parse_failure("no such service: character\n") == "no such service: character"
    assert commands.parse_failure("  \n") is None


def test_release_commands():
    assert commands.read_link("/srv/fountainai/current") == ["readlink", "/srv/fountainai/current"]
    assert commands.parse_link_target("releases/abc123\n") == "abc123"
    assert commands.parse_link_target("") is None
    assert commands.is_complete(LAY, "abc") == ["test", "-f", "/srv/fountainai/releases/abc/.complete"]
    assert commands.list_releases(LAY) == [
        "sh",
        "-c",
        'ls -1t "$1"/*/.complete 2>/dev/null',
        "sh",
        "/srv/fountainai/releases",
    ]
    listing = "/srv/fountainai/releases/b2/.complete\n/srv/fountainai/releases/a1/.complete\n"
    assert commands.parse_release_names(listing) == ["b2", "a1"]
    assert commands.remove_incoming(LAY) == ["sh", "-c", 'rm -rf "$1"/.incoming-*', "sh", "/srv/fountainai/releases"]
    assert commands.make_dirs("/a", "/a/b") == ["mkdir", "-p", "/a", "/a/b"]
    assert commands.publish("/r/.incoming-x", "/r/x", "MANIFEST.sha256") == [
        ["cd", "/r/.incoming-x"],
        ["sha256sum", "--quiet", "-c", "MANIFEST.sha256"],
        ["touch", ".complete"],
        ["rm", "-rf", "/r/x"],
        ["mv", "-T", "/r/.incoming-x", "/r/x"],
    ]
    assert commands.point("/srv/fountainai/current", "abc") == [
        ["ln", "-sfn", "releases/abc", "/srv/fountainai/current.next"],
        ["mv", "-T", "/srv/fountainai/current.next", "/srv/fountainai/current"],
    ]
    assert commands.touch_complete(LAY, "abc") == ["touch", "/srv/fountainai/releases/abc/.complete"]
    assert commands.remove("/srv/fountainai/releases/old") == ["rm", "-rf", "/srv/fountainai/releases/old"]
    assert commands.append_line("/srv/fountainai/audit.log", "t who deploy abc ok") == [
        "sh",
        "-c",
        'printf "%s\\n" "$2" >> "$1"',
        "sh",
        "/srv/fountainai/audit.log",
        "t who deploy abc ok",
    ]
    assert commands.tail("/srv/fountainai/audit.log", 5) == ["tail", "-5", "/srv/fountainai/audit.log"]


def test_lock_commands():
    assert commands.take_lock(LAY, "alice@laptop 1700000000 42 tok") == [
        "sh",
        "-c",
        'mkdir "$1" 2>/dev/null && printf "%s\\n" "$2" > "$1/owner"',
        "sh",
        "/srv/fountainai/deploy.lock",
        "alice@laptop 1700000000 42 tok",
    ]
    assert commands.lock_owner(LAY) == ["cat", "/srv/fountainai/deploy.lock/owner"]
    assert commands.release_lock(LAY, "tok") == [
        "sh",
        "-c",
        'grep -q "$2" "$1/owner" 2>/dev/null && rm -rf "$1"',
        "sh",
        "/srv/fountainai/deploy.lock",
        "tok",
    ]


def test_compose_commands():
    base = ["docker", "compose", "-p", "fountainai", "-f", COMPOSE]
    assert commands.compose(COMPOSE, "pull") == [*base, "pull"]
    assert commands.compose_up(COMPOSE, 120) == [
        *base,
        "up",
        "-d",
        "--remove-orphans",
        "--wait",
        "--wait-timeout",
        "120",
    ]
    assert commands.compose_up(COMPOSE, 30, "postgres", remove_orphans=False) == [
        *base,
        "up",
        "-d",
        "--wait",
        "--wait-timeout",
        "30",
        "postgres",
    ]
    assert commands.compose_exec(COMPOSE, "kong", "kong", "health") == [*base, "exec", "-T", "kong", "kong", "health"]
    assert commands.compose_logs(COMPOSE, "character", 20) == [*base, "logs", "--no-color", "--tail", "20", "character"]
    # The service's own image and env file, no other container started: PostgreSQL is already up.
    argv = commands.compose_migrate(COMPOSE, "logging", "logging_service")
    assert argv[: len(base) + 7] == [*base, "run", "--rm", "--no-deps", "-T", "logging", "python", "-c"]
    assert argv[len(base) + 8 :] == ["logging_service"]  # the package reaches the script as sys.argv[1]


def test_values_reach_the_shell_as_data(tmp_path):
    """A path or audit line with quotes, $ and ; stays one word: quoting happens once, in shlex.join."""
    hostile = tmp_path / "it's $(touch pwned); `x`"
    lay = Layout(str(hostile))
    line = "2026 o'brien@pc deploy $(rm -rf /) ok"
    script = " && ".join(
        shlex.join(argv) for argv in [*commands.make_layout(lay), commands.append_line(lay.audit, line)]
    )
    subprocess.run(["sh", "-c", script], cwd=tmp_path, check=True)
    assert (hostile / "audit.log").read_text() == line + "\n"
    assert not (tmp_path / "pwned").exists()
    owner = "alice@laptop 1 2 tok"
    take = shlex.join(commands.take_lock(lay, owner))
    assert subprocess.run(["sh", "-c", take]).returncode == 0
    assert subprocess.run(["sh", "-c", take]).returncode != 0  # held: a second mkdir fails
    assert (hostile / "deploy.lock" / "owner").read_text() == owner + "\n"
    assert subprocess.run(["sh", "-c", shlex.join(commands.release_lock(lay, "other"))]).returncode != 0
    assert (hostile / "deploy.lock").exists()  # not ours: kept
    subprocess.run(["sh", "-c", shlex.join(commands.release_lock(lay, "tok"))], check=True)
    assert not (hostile / "deploy.lock").exists()
