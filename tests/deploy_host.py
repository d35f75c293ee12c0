"""A deploy host for the provisioning tests and the deploy benchmark: a real sshd with the real engine behind it.

The deploy user is in the docker group, as on the host, and finds the Compose plugin in the engine's
DOCKER_CONFIG. The images are the project's services built from their generated trees (tags equal to the
committed bundle's) on the local base images at the registry's edge, plus images derived from character's
for the faults a release can bring: a service that exits, a migration that fails, one more migration.
Nothing can be pulled here, so a missing image fails the way it fails on a host whose registry lacks it.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import yaml

from generator.contract import BUNDLE_FILES, COMPOSE_FILE
from provision import DeployOptions, status
from provision.envfiles import Secrets
from provision.layout import PROJECT
from provision.release import Release

from .conftest import ROOT
from .engine import Engine
from .sshd import Sshd, start_sshd
from .stack import BUNDLE_TEST_PROJECT, generate_and_build

SERVICES = ["central-sequence", "character", "core-script-management", "logging", "session-context", "story-factory"]
HEALTH_TIMEOUT = 240  # the first start migrates six databases on a shared 2-core machine
SITE = "/opt/venv/lib/python3.11/site-packages"  # where the generated Dockerfile installs the service's wheel

# Revisions on top of character's head, each in an image derived from character's (see derived_images).
_BROKEN_MIGRATION = """
from alembic import op

revision = "9001"
down_revision = {head!r}


def upgrade() -> None:
    op.execute("ALTER TABLE no_such_table ADD COLUMN note TEXT")
"""
_EXTRA_MIGRATION = """
import sqlalchemy as sa
from alembic import op

revision = "9002"
down_revision = {head!r}


def upgrade() -> None:
    op.create_table("deploy_marker", sa.Column("id", sa.Integer, primary_key=True))
"""


def secrets(seed: str) -> Secrets:
    """Every secret of a release, with characters that must survive env file, URL and psql."""
    return Secrets(
        database_passwords={s: f"db-{seed}-{s}-@$#%/" for s in SERVICES},
        consumer_keys={"ops": f"ops-key-{seed}-0123456789abcdef"},
        postgres_password=f"pg-{seed}-0123456789abcdef",
        logging_key=f"log-key-{seed}-0123456789",
    )


def character_image() -> str:
    text = (ROOT / COMPOSE_FILE).read_text()
    start = text.index("image: fountainai/character:") + len("image: ")
    return text[start : text.index("\n", start)]


def bundle(folder: Path, character: str | None = None, note: str | None = None) -> Path:
    """A copy of the committed bundle; optionally another image for character, or a note (a comment) that
    makes it another release whose containers are the same."""
    for rel in BUNDLE_FILES:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, folder / rel)
    compose = folder / COMPOSE_FILE
    text = compose.read_text()
    if character:
        start = text.index("image: fountainai/character:")
        end = text.index("\n", start)
        text = text[:start] + f"image: {character}" + text[end:]
    if note:
        text += f"# {note}\n"
    compose.write_text(text)
    return folder


def _head(versions: Path) -> str:
    """The newest Alembic revision of a migrations folder (the one no other revision follows)."""
    found = {}
    for path in versions.glob("*.py"):
        text = path.read_text()
        down = re.search(r"^down_revision = (.+)$", text, re.M).group(1)
        found[re.search(r'^revision = "(.+)"$', text, re.M).group(1)] = down.strip("\"'")
    (head,) = set(found) - set(found.values())
    return head


def derived_images(engine: Engine, work: Path) -> dict[str, str]:
    """Character's image with a fault or a change: `-exits` (the service exits at start), `-badmigration`
    (a revision that fails), `-extra` (one more revision, which creates the table deploy_marker)."""
    base, head = character_image(), _head(ROOT / "services" / "character" / "migrations" / "versions")
    versions = f"{SITE}/character/migrations/versions/"
    recipes = {
        "exits": f'FROM {base}\nCMD ["sh", "-c", "echo \'ERROR: settings missing, exiting\' >&2; exit 3"]\n',
        "badmigration": f"FROM {base}\nCOPY 9001_broken.py {versions}\n",
        "extra": f"FROM {base}\nCOPY 9002_extra.py {versions}\n",
    }
    images = {}
    for name, dockerfile in recipes.items():
        folder = work / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "Dockerfile").write_text(dockerfile)
        (folder / "9001_broken.py").write_text(_BROKEN_MIGRATION.format(head=head))
        (folder / "9002_extra.py").write_text(_EXTRA_MIGRATION.format(head=head))
        images[name] = f"{base}-{name}"
        engine.docker("build", "-q", "--network", "host", "-t", images[name], str(folder))
    return images


def down(engine: Engine) -> None:
    engine.down(PROJECT)


def start_host(engine: Engine, work: Path) -> tuple[Sshd, dict[str, str]]:
    """The service images built, the project's containers removed, a real sshd started; and the derived images."""
    built = generate_and_build(engine, work / "generated")
    assert (built / COMPOSE_FILE).read_text() == (ROOT / COMPOSE_FILE).read_text(), "regenerate the bundle"
    derived = derived_images(engine, work / "derived")
    down(engine)
    engine.down(BUNDLE_TEST_PROJECT)  # an interrupted bundle test holds the gateway's ports and the subnet
    return start_sshd(docker=True), derived


def containers(engine: Engine) -> dict[str, dict]:
    """What the engine runs for the project: service -> {image, state, health, config file, id}."""
    done = engine.docker("ps", "-a", "--filter", f"label=com.docker.compose.project={PROJECT}", "--format", "{{.ID}}")
    found = {}
    for ident in done.stdout.split():
        info = json.loads(engine.docker("inspect", ident).stdout)[0]
        labels = info["Config"]["Labels"]
        if labels.get("com.docker.compose.oneoff") == "True":
            continue
        found[labels["com.docker.compose.service"]] = {
            "id": ident,
            "image": info["Config"]["Image"],
            "state": info["State"]["Status"],
            "health": (info["State"].get("Health") or {}).get("Status"),
            "config": labels["com.docker.compose.project.config_files"],
        }
    return found


def events(engine: Engine, since: float, *filters: str) -> list[dict]:
    """The engine's events for the project's containers since `since` (Unix time), oldest first."""
    done = engine.docker(
        "events", "--since", f"{since:.3f}", "--until", f"{time.time() + 1:.3f}", "--filter", "type=container",
        "--filter", f"label=com.docker.compose.project={PROJECT}", *filters, "--format", "{{json .}}",
    )  # fmt: skip
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def assert_serves(engine: Engine, host: Sshd, options: DeployOptions, release: Release) -> dict[str, dict]:
    """`current` is the release, and the engine runs its compose file: every container running and healthy."""
    report = status(options)
    assert report["current"] == release.name and report["healthy"] and report["locked_by"] is None, report
    running = containers(engine)
    # Compose runs the file under `current`, which points at this release; every container has its image.
    compose_file = str(Path(host.root) / "current" / COMPOSE_FILE)
    assert (Path(host.root) / "current").resolve().name == release.name
    wanted = yaml.safe_load(release.files[COMPOSE_FILE])["services"]
    assert {s: (c["state"], c["config"], c["image"]) for s, c in running.items()} == {
        s: ("running", compose_file, spec["image"]) for s, spec in wanted.items()
    }
    assert all(c["health"] == "healthy" for c in running.values()), running
    return running
