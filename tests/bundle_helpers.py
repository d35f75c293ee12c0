"""Shared by the bundle tests: build a bundle in memory and read its documents back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.bundle import BundleSettings
from generator.bundle.files import COMPOSE_FILE, KONG_FILE
from generator.generate import build
from generator.model import Service


@dataclass
class Built:
    services: list[Service]
    files: dict[str, str]

    @property
    def compose(self) -> dict[str, Any]:
        return yaml.safe_load(self.files[COMPOSE_FILE])

    @property
    def kong(self) -> dict[str, Any]:
        return yaml.safe_load(self.files[KONG_FILE])

    def with_documents(
        self, compose: dict[str, Any] | None = None, kong: dict[str, Any] | None = None
    ) -> dict[str, str]:
        files = dict(self.files)
        if compose is not None:
            files[COMPOSE_FILE] = yaml.safe_dump(compose, sort_keys=False)
        if kong is not None:
            files[KONG_FILE] = yaml.safe_dump(kong, sort_keys=False)
        return files


def build_bundle_for(specs: Path, project: Path, **settings: Any) -> Built:
    result = build(specs, project, settings=BundleSettings(**settings))
    return Built(result.services, result.bundle)
