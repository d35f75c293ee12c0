"""Memory limits for every container that together fit the host."""

from __future__ import annotations

from ..errors import SpecError
from .settings import BundleSettings


def service_memory_mb(count: int, settings: BundleSettings) -> int:
    """Each service's share of what the OS, PostgreSQL and Kong leave, in 16 MB steps, capped."""
    left = (
        settings.host_memory_mb
        - settings.host_reserve_mb
        - settings.postgres_memory_mb
        - settings.kong_memory_mb
        - settings.acme_store_memory_mb
    )
    share = min(settings.service_memory_max_mb, (left // max(count, 1)) // 16 * 16)
    if share < settings.service_memory_min_mb:
        raise SpecError(
            "FOUNTAIN_HOST_MEMORY_MB",
            f"{settings.host_memory_mb} MB cannot hold {count} services at {settings.service_memory_min_mb} MB each "
            f"beside PostgreSQL ({settings.postgres_memory_mb} MB), Kong ({settings.kong_memory_mb} MB), its ACME store "
            f"({settings.acme_store_memory_mb} MB) and the "
            f"reserve ({settings.host_reserve_mb} MB); pick a bigger host or lower FOUNTAIN_SERVICE_MEMORY_MIN_MB",
        )
    return share
