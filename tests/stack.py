"""The generated bundle on the real engine: service images built from the generated trees, a release on disk."""

from __future__ import annotations

from pathlib import Path

import yaml

from generator.bundle.files import COMPOSE_FILE
from generator.contract import bundle_services
from provision.release import Release

from .conftest import PROJECT_SPECS, ROOT, run_fountain
from .engine import Engine

# The compose project test_bundle_up runs the bundle under; the deploy tests use the real one (provision.layout).
BUNDLE_TEST_PROJECT = "fountain-bundle-test"


def build_service_images(engine: Engine, trees: Path, compose_doc: dict) -> dict[str, str]:
    """Build each service's image from its tree with its generated Dockerfile, unchanged; slug -> image.

    The tag is the tree's content hash, so an image already in the engine is that tree's build.
    """
    images = {}
    for slug in bundle_services(compose_doc):
        image = compose_doc["services"][slug]["image"]
        if engine.docker("image", "inspect", image, check=False).returncode != 0:
            # The host network: a build needs no bridge (docker0 may be gone when another daemon stopped).
            engine.docker("build", "-q", "--network", "host", "-t", image, str(trees / slug))
        images[slug] = image
    return images


def generate_and_build(engine: Engine, out: Path, env: dict[str, str] | None = None) -> Path:
    """`fountain generate` of the project's specs into out/ (trees and bundle), every service image built;
    returns the bundle folder. The trees are the project's, so the tags equal the committed bundle's."""
    done = run_fountain(
        "generate", str(PROJECT_SPECS), "-o", str(out / "trees"), "--bundle", str(out / "bundle"), cwd=ROOT, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    doc = yaml.safe_load((out / "bundle" / COMPOSE_FILE).read_text())
    build_service_images(engine, out / "trees", doc)
    return out / "bundle"


def write_release(release: Release, folder: Path) -> Path:
    """The files the deploy uploads (bundle plus env files, secrets at 0600), as they land on the host."""
    for rel, data in release.files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        secret = rel in release.secret_files and rel not in release.container_read  # as HostContext.upload
        path.chmod(0o600 if secret else (0o755 if rel.endswith(".sh") else 0o644))
    return folder / COMPOSE_FILE


def compose_doc(release: Release) -> dict:
    return yaml.safe_load(release.files[COMPOSE_FILE])
