"""The Pulumi program: one ComponentResource per concern (host, secrets, repositories, deploy)."""

from .platform import Platform, build_platform

__all__ = ["Platform", "build_platform"]
