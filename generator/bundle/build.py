"""Assemble the bundle's files from the services and their rendered trees."""

from __future__ import annotations

from ..errors import SpecError
from ..model import Service
from .checks import bundle_problems
from .compose import INFRASTRUCTURE, compose_document
from .emit import dump_yaml
from .files import COMPOSE_FILE, INIT_SCRIPT_FILE, KONG_FILE
from .hashing import content_hash
from .kong import kong_document
from .postgres_init import init_script
from .settings import BundleSettings


def build_bundle(services: list[Service], trees: dict[str, dict[str, str]], settings: BundleSettings) -> dict[str, str]:
    """Bundle path -> text; image tags are the content hashes of the service trees."""
    for service in services:
        if service.slug in INFRASTRUCTURE:
            file = service.latest.file
            raise SpecError(file, f"the service name {service.slug!r} is taken by the bundle's own container")
    tags = {s.slug: content_hash(trees[s.slug]) for s in services}
    compose, kong = compose_document(services, tags, settings), kong_document(services, settings)
    files = {COMPOSE_FILE: dump_yaml(compose), INIT_SCRIPT_FILE: init_script(services), KONG_FILE: dump_yaml(kong)}
    # Settings can break a rule the checks know (say, a rate limit of 0 or a host too small): say which.
    problems = bundle_problems(files, settings)
    if problems:
        raise SpecError("FOUNTAIN_* settings", "the bundle breaks its own rules: " + "; ".join(problems))
    return files
