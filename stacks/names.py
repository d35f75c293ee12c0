"""Resource names: every physical name carries the stack, so no two stacks share anything."""

from __future__ import annotations

import re


def resource_name(stack: str, *parts: str) -> str:
    """`<stack>-<part>-...`, lower case, safe for Lightsail, Secrets Manager and Pulumi URNs."""
    raw = "-".join([stack, *parts])
    return re.sub(r"[^a-z0-9-]+", "-", raw.lower()).strip("-")


def secret_path(project: str, stack: str, *parts: str) -> str:
    """Secrets Manager names are paths: <project>/<stack>/<what>."""
    return "/".join([project, stack, *parts])


def repository_name(project: str, stack: str, slug: str) -> str:
    """prod owns the plain names; every other stack's repositories carry its name."""
    return f"{project}-{slug}" if stack == "prod" else f"{project}-{slug}-{stack}"
