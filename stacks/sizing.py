"""Does the bundle fit the host: the Compose file's memory limits against the stack's Lightsail plan."""

from __future__ import annotations

import re

import yaml

from .config import ConfigError

COMPOSE_FILE = "compose/docker-compose.yml"
_UNITS = {"k": 1 / 1024, "m": 1, "g": 1024}


def _mb(limit: str) -> float:
    match = re.fullmatch(r"(\d+)([kmg])b?", str(limit).strip().lower())
    if not match:
        raise ConfigError(f"{COMPOSE_FILE}: mem_limit {limit!r} is not a size like 256m")
    return int(match.group(1)) * _UNITS[match.group(2)]


def memory_limits_mb(compose_text: str) -> dict[str, float]:
    """Container name -> its mem_limit in MB, from the committed Compose file."""
    services = (yaml.safe_load(compose_text) or {}).get("services") or {}
    return {name: _mb(spec["mem_limit"]) for name, spec in services.items() if "mem_limit" in spec}


def check_fits(compose_text: str, plan: str, plan_memory_mb: float, reserve_mb: int, plan_key: str) -> None:
    """Every container's limit plus the OS reserve must fit the plan's memory (Lightsail GetBundles: ramSizeInGb)."""
    limits = memory_limits_mb(compose_text)
    needed = sum(limits.values()) + reserve_mb
    if needed > plan_memory_mb:
        raise ConfigError(
            f"{plan_key}: {plan} has {plan_memory_mb:.0f} MB, the bundle needs {needed:.0f} MB "
            f"({len(limits)} containers {sum(limits.values()):.0f} MB + {reserve_mb} MB for the OS); "
            "pick a bigger plan"
        )
