"""The deployment bundle: the Compose file, its PostgreSQL init script and Kong's declarative config."""

from .build import build_bundle
from .files import BUNDLE_FILES
from .settings import BundleSettings, load_settings

__all__ = ["BUNDLE_FILES", "BundleSettings", "build_bundle", "load_settings"]
