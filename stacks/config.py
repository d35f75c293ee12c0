"""The stack's settings: Pulumi config read against the schema in Pulumi.yaml, one clear error per bad key."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pulumi
import yaml

from .names import stack_name_problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PERMANENT_STACKS = ("dev", "prod")


class ConfigError(pulumi.RunError):
    """A missing or invalid config value; the message names the key and how to set it."""


# Keys whose absence means something, so they cannot be declared in Pulumi.yaml: the CLI writes a declared
# key's default into every stack and refuses a declared key with no default as missing
# (pulumi/pulumi pkg/workspace/config.go, mergeConfig).
UNDECLARED = {
    "repositories": {
        "type": "boolean",
        "description": "Manage one private GitHub repository per service. Unset: on for dev and prod, "
        "off for ephemeral stacks.",
    },
}


@cache
def schema() -> dict[str, dict[str, Any]]:
    """Pulumi.yaml's config section (types, defaults, descriptions) plus the keys it must not declare."""
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
    return {**(project.get("config") or {}), **UNDECLARED}


@dataclass(frozen=True)
class Prices:
    currency: str
    bundles: dict[str, dict[str, float]]
    secret_monthly: float
    snapshot_gb_month: float
    static_ip_monthly: float


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    admin_cidrs: tuple[str, ...]
    openai_api_key: pulumi.Output[str]
    github_owner: str
    repositories: bool
    domain: str
    acme_email: str
    docker_username: str
    docker_password: pulumi.Output[str]
    zone: str
    blueprint: str
    bundle: str
    snapshot_time: str
    deploy_user: str
    releases_kept: int
    budget_eur: int
    specs_dir: Path
    bundle_dir: Path
    prices: Prices

    @property
    def ephemeral(self) -> bool:
        return self.stack not in PERMANENT_STACKS


def _key(name: str) -> str:
    return f"{pulumi.get_project()}:{name}"


def _plain(config: pulumi.Config, name: str, *, optional: bool = False) -> Any:
    entry = schema()[name]
    kind = entry.get("type")
    try:
        if kind == "integer":
            value = config.get_int(name)
        elif kind == "boolean":
            value = config.get_bool(name)
        elif kind == "array" or kind is None:
            value = config.get_object(name)
        else:
            value = config.get(name)
    except pulumi.ConfigTypeError as error:
        raise ConfigError(f"{_key(name)}: {error}") from None
    if value is None:
        value = entry.get("default", entry.get("value"))
    if value is None and not optional:
        raise ConfigError(
            f"{_key(name)} is required: {entry.get('description', '')} Set it with `pulumi config set {_key(name)} ...`"
        )
    return value


def _secret(config: pulumi.Config, name: str) -> pulumi.Output[str]:
    entry = schema()[name]
    value = config.get_secret(name)
    if value is None:
        raise ConfigError(
            f"{_key(name)} is required: {entry.get('description', '')} "
            f"Set it with `pulumi config set --secret {_key(name)} ...`"
        )
    return value


def _check_cidrs(cidrs: Any) -> tuple[str, ...]:
    if not isinstance(cidrs, list) or not cidrs:
        raise ConfigError(f"{_key('adminCidrs')}: a non-empty list of CIDR blocks is required")
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            raise ConfigError(f"{_key('adminCidrs')}: {cidr!r} is not a CIDR block") from None
        if network.prefixlen == 0:
            raise ConfigError(f"{_key('adminCidrs')}: {cidr!r} opens SSH to the whole internet")
    return tuple(str(c) for c in cidrs)


def _prices(raw: Any) -> Prices:
    try:
        return Prices(
            currency=str(raw["currency"]),
            bundles={
                k: {"monthly": float(v["monthly"]), "diskGb": float(v["diskGb"]), "memoryMb": float(v["memoryMb"])}
                for k, v in raw["bundles"].items()
            },
            secret_monthly=float(raw["secretMonthly"]),
            snapshot_gb_month=float(raw["snapshotGbMonth"]),
            static_ip_monthly=float(raw.get("staticIpMonthly", 0)),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ConfigError(f"{_key('prices')}: malformed price table ({error!r} missing or wrong)") from None


def load_config() -> StackConfig:
    """Every setting of this stack, validated; ephemeral stacks get the smallest bundle and no repositories."""
    config = pulumi.Config()
    stack = pulumi.get_stack()
    problem = stack_name_problem(stack)
    if problem:
        raise ConfigError(problem)
    ephemeral = stack not in PERMANENT_STACKS
    prices = _prices(_plain(config, "prices"))
    bundle_key = "ephemeralBundle" if ephemeral else "bundle"
    bundle = str(_plain(config, bundle_key))
    if bundle not in prices.bundles:
        raise ConfigError(
            f"{_key(bundle_key)}: {bundle!r} has no price in {_key('prices')}; known: {sorted(prices.bundles)}"
        )
    # Unset means on for dev and prod, off for an ephemeral stack.
    asked = _plain(config, "repositories", optional=True)
    repositories = (not ephemeral) if asked is None else bool(asked)
    snapshot_time = str(_plain(config, "snapshotTime"))
    if not re.fullmatch(r"([01]\d|2[0-3]):00", snapshot_time):
        raise ConfigError(f"{_key('snapshotTime')}: {snapshot_time!r} is not a whole hour like 03:00")
    github_owner = str(_plain(config, "githubOwner"))
    if repositories and not github_owner:
        raise ConfigError(f"{_key('githubOwner')} is required while {_key('repositories')} is true")
    domain = str(_plain(config, "domain")).strip().lower()
    acme_email = str(_plain(config, "acmeEmail")).strip()
    if domain and not re.fullmatch(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", domain):
        raise ConfigError(f"{_key('domain')}: {domain!r} is not a domain name like api.example.org")
    if domain and "@" not in acme_email:
        raise ConfigError(f"{_key('acmeEmail')} is required with {_key('domain')}: the Let's Encrypt account email")
    return StackConfig(
        project=pulumi.get_project(),
        stack=stack,
        admin_cidrs=_check_cidrs(_plain(config, "adminCidrs")),
        openai_api_key=_secret(config, "openaiApiKey"),
        github_owner=github_owner,
        repositories=repositories,
        domain=domain,
        acme_email=acme_email,
        docker_username=str(_plain(config, "dockerUsername")),
        docker_password=_secret(config, "dockerPassword"),
        zone=str(_plain(config, "zone")),
        blueprint=str(_plain(config, "blueprint")),
        bundle=bundle,
        snapshot_time=snapshot_time,
        deploy_user=str(_plain(config, "deployUser")),
        releases_kept=int(_plain(config, "releasesKept")),
        budget_eur=int(_plain(config, "budgetEur")),
        specs_dir=(PROJECT_ROOT / str(_plain(config, "specsDir"))).resolve(),
        bundle_dir=(PROJECT_ROOT / str(_plain(config, "bundleDir"))).resolve(),
        prices=prices,
    )
