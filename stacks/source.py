"""What the stack deploys, computed in-process from the specs: service trees, bundle, image tags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from generator import Service, SpecError, build
from generator.contract import BUNDLE_FILES, BundleSettings, content_hash, load_settings

from .config import ConfigError

_SECRET_REF = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class Source:
    services: tuple[Service, ...]
    trees: dict[str, dict[str, str]]
    bundle: dict[str, str]
    settings: BundleSettings

    @cached_property
    def bundle_hash(self) -> str:
        return content_hash(self.bundle)

    @property
    def image_prefix(self) -> str:
        return self.settings.image_prefix

    @property
    def consumers(self) -> list[str]:
        return list(self.settings.consumers)

    @cached_property
    def image_tags(self) -> dict[str, str]:
        return {slug: content_hash(tree) for slug, tree in self.trees.items()}

    def image_tag(self, slug: str) -> str:
        return self.image_tags[slug]

    def workflow_secrets(self, slug: str) -> list[str]:
        """The Actions secrets a service's workflows refer to; a repository gets those and no others."""
        found = {
            name
            for rel, text in self.trees[slug].items()
            if rel.startswith(".github/workflows/")
            for name in _SECRET_REF.findall(text)
        }
        return sorted(found - {"GITHUB_TOKEN"})


@cache
def load_source(specs_dir: Path, bundle_dir: Path) -> Source:
    """Generate in memory (same bytes as `fountain generate`) and insist the committed bundle matches."""
    if not specs_dir.exists():
        raise ConfigError(f"fountainai:specsDir: {specs_dir} does not exist")
    try:
        settings = load_settings()
        result = build(specs_dir, specs_dir.parent, settings=settings)
    except SpecError as error:
        raise ConfigError(str(error)) from None
    stale = [rel for rel in BUNDLE_FILES if _read(bundle_dir / rel) != result.bundle[rel]]
    if stale:
        raise ConfigError(
            f"{bundle_dir / stale[0]} is not what the specs produce; run `fountain generate` and commit "
            f"({len(stale)} bundle file(s) stale)"
        )
    return Source(tuple(result.services), result.trees, result.bundle, settings)


def _read(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None
