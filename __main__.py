"""Pulumi entry point: everything lives in stacks/."""

from stacks import build_platform

build_platform()
