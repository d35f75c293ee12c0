"""Resource names: every physical name carries the project and the stack, so no two stacks share anything."""

from __future__ import annotations

import re

# Lower-case letters, digits and inner dashes map to themselves in every physical name below, so two stack
# names can never land on one name (`PR_42`, `pr.42` and `pr-42` would all become `pr-42`).
STACK_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")


def stack_name_problem(stack: str) -> str | None:
    """Why a stack name cannot be used for physical names, or None."""
    if STACK_NAME.fullmatch(stack):
        return None
    return (
        f"stack name {stack!r} would share physical names with {resource_name(stack) or '-'!r}; "
        "use lower-case letters, digits and '-' only (e.g. pr-42)"
    )


def resource_name(stack: str, *parts: str) -> str:
    """`<stack>-<part>-...`, lower case, safe for Lightsail, Secrets Manager and Pulumi URNs."""
    raw = "-".join([stack, *parts])
    return re.sub(r"[^a-z0-9-]+", "-", raw.lower()).strip("-")


def physical_name(project: str, stack: str, *parts: str) -> str:
    """A cloud-side name: `<project>-<stack>-<part>...`, unique per project and stack in the account."""
    return resource_name(project, stack, *parts)


def secret_path(project: str, stack: str, *parts: str) -> str:
    """Secrets Manager names are paths: <project>/<stack>/<what>."""
    return "/".join([project, stack, *parts])


def repository_name(project: str, stack: str, slug: str) -> str:
    """prod owns the plain names; every other stack's repositories carry its name."""
    return f"{project}-{slug}" if stack == "prod" else f"{project}-{slug}-{stack}"
