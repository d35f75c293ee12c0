"""The stack's security rules as plain functions over a resource's type and engine-side (camelCase) inputs.

The CrossGuard pack in policy/ wraps these for `pulumi preview --policy-pack policy`; tests call them directly.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable
from typing import Any

PUBLIC_PORTS = {80, 443}
# What a secret looks like when no value is known (the policy pack sees only the resource).
SECRET_PATTERNS = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"),
    re.compile(r"(?i)\b(password|passwd|secret|token|api_?key)\s*[=:]\s*['\"]?[A-Za-z0-9/+_-]{12,}"),
    # A database URL with a password in it: scheme://user:password@host
    re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]+:[^\s@/'\"]{4,}@[^\s'\"]+"),
    # AWS access key ids and secret access keys (IAM User Guide, "Understanding unique ID prefixes").
    re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"(?i)aws_?secret_?access_?key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}"),
)
# An open port's CIDRs that together cover more than this share of an address family count as "everyone".
TOO_BROAD_PREFIX = {4: 8, 6: 32}
ADMIN_ROLE_ID = 5  # GitHub's built-in repository role "Admin" (the program's only bypass)
INSTANCE = "aws:lightsail/instance:Instance"
PORTS = "aws:lightsail/instancePublicPorts:InstancePublicPorts"


def _open_to_world(rule: dict[str, Any]) -> bool:
    """The rule's CIDRs together cover the whole IPv4 or IPv6 space, or a block as wide as a /8 (a /32 for v6).

    `0.0.0.0/1` plus `128.0.0.0/1` is the whole internet without writing 0.0.0.0/0.
    """
    networks = [
        ipaddress.ip_network(c, strict=False) for c in (rule.get("cidrs") or []) + (rule.get("ipv6Cidrs") or [])
    ]
    for version, widest in TOO_BROAD_PREFIX.items():
        merged = ipaddress.collapse_addresses(n for n in networks if n.version == version)
        if any(n.prefixlen <= widest for n in merged):
            return True
    return False


def public_ports(props: dict[str, Any], admin_cidrs: Iterable[str] | None = None) -> list[str]:
    """Lightsail ports: only 80 and 443 open to everyone; 22 only from the admin CIDRs; nothing else."""
    problems = []
    allowed_ssh = set(admin_cidrs) if admin_cidrs is not None else None
    for rule in props.get("portInfos") or []:
        ports = range(int(rule["fromPort"]), int(rule["toPort"]) + 1)
        label = f"{rule['fromPort']}-{rule['toPort']}" if len(ports) > 1 else str(rule["fromPort"])
        if set(ports) <= PUBLIC_PORTS:
            continue
        if list(ports) == [22]:
            cidrs = set(rule.get("cidrs") or []) | set(rule.get("ipv6Cidrs") or [])
            if _open_to_world(rule):
                problems.append("port 22 is open to the whole internet; allow the admin CIDRs only")
            elif allowed_ssh is not None and not cidrs <= allowed_ssh:
                problems.append(f"port 22 is open to {sorted(cidrs - allowed_ssh)}, outside the admin CIDRs")
            continue
        problems.append(f"port {label} must not be open (only 22 from the admin CIDRs, 80 and 443)")
    return problems


def repository(props: dict[str, Any]) -> list[str]:
    """Service repositories are private."""
    if props.get("visibility", "private") != "private" or props.get("private") is False:
        return [f"repository {props.get('name')!r} must be private"]
    return []


def ruleset(props: dict[str, Any]) -> list[str]:
    """The default branch ruleset is active and requires a status check and pull requests."""
    problems = []
    if props.get("enforcement") != "active":
        problems.append("the default-branch ruleset must be active")
    includes = ((props.get("conditions") or {}).get("refName") or {}).get("includes") or []
    if "~DEFAULT_BRANCH" not in includes:
        problems.append("the ruleset must cover the default branch")
    rules = props.get("rules") or {}
    checks = (rules.get("requiredStatusChecks") or {}).get("requiredChecks") or []
    if not checks:
        problems.append("the default branch must require the service's CI check")
    pull_request = rules.get("pullRequest")
    if not pull_request:
        problems.append("the default branch must require pull requests")
    elif int(pull_request.get("requiredApprovingReviewCount") or 0) < 1:
        problems.append("the default branch must require at least one approving review")
    for actor in props.get("bypassActors") or []:
        if (actor.get("actorType"), int(actor.get("actorId") or 0)) != ("RepositoryRole", ADMIN_ROLE_ID):
            problems.append(
                f"only the Admin repository role may bypass the ruleset, not {actor.get('actorType')} "
                f"{actor.get('actorId')}"
            )
    return problems


def no_secret_in(label: str, text: str, secrets: Iterable[str]) -> list[str]:
    """A published file or a command line holds none of the given secret values."""
    return [f"{label} contains a secret value"] if any(s and s in text for s in secrets) else []


def secret_like(label: str, text: str) -> list[str]:
    """A published file or command line that looks like it holds a key or password."""
    return [f"{label} looks like it holds a secret ({p.pattern[:24]}...)" for p in SECRET_PATTERNS if p.search(text)]


def plain_inputs(props: dict[str, Any], secret_paths: set[str]) -> str:
    """The inputs that state keeps in plain text, as one string to search."""
    visible = {k: v for k, v in props.items() if k not in secret_paths}
    return json.dumps(visible, sort_keys=True, default=str)


def validate(resource_type: str, props: dict[str, Any], admin_cidrs: Iterable[str] | None = None) -> list[str]:
    """All rules that apply to one resource."""
    if resource_type == "aws:lightsail/instancePublicPorts:InstancePublicPorts":
        return public_ports(props, admin_cidrs)
    if resource_type == "github:index/repository:Repository":
        return repository(props)
    if resource_type == "github:index/repositoryRuleset:RepositoryRuleset":
        return ruleset(props)
    if resource_type == "github:index/repositoryFile:RepositoryFile":
        return secret_like(f"published file {props.get('file')}", str(props.get("content", "")))
    if resource_type == "command:local:Command":
        problems = secret_like("the deploy command line", str(props.get("create", "")))
        for name, value in sorted((props.get("environment") or {}).items()):
            problems += secret_like(f"the deploy command's environment {name}", f"{name}={value}")
        return problems
    return []


def stack_problems(resources: Iterable[tuple[str, dict[str, Any]]]) -> list[str]:
    """Rules over the whole stack: every Lightsail instance has its InstancePublicPorts.

    Without one, the instance keeps Lightsail's default firewall, which opens 22 (and 80) to everyone
    (Lightsail docs, "Instance firewalls": default rules).
    """
    resources = list(resources)
    instances = [props.get("name") for kind, props in resources if kind == INSTANCE]
    covered = {props.get("instanceName") for kind, props in resources if kind == PORTS}
    return [
        f"Lightsail instance {name!r} has no InstancePublicPorts: it keeps the default firewall (22 open to all)"
        for name in instances
        if name not in covered
    ]
