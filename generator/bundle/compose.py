"""The Compose document: one container per service, PostgreSQL, and Kong as the only published entry."""

from __future__ import annotations

from typing import Any

from ..model import Service
from .memory import service_memory_mb
from .settings import BundleSettings

APP_PORT = 8000
# How long a service keeps an idle keep-alive connection: longer than Kong keeps its idle upstream ones
# (upstream_keepalive_idle_timeout = 60 in Kong's kong/templates/kong_defaults.lua), so Kong is the side that
# closes them. uvicorn's own 5 s let Kong send a request on a connection being closed: a reset, a 502 (the
# same race reset a test's client, whose httpx pool also keeps connections 5 s).
KEEP_ALIVE_SECONDS = 75
# The bundle's own containers beside the services; no service may take these names.
DATABASE = "postgres"
GATEWAY = "kong"
# Where Kong's acme plugin keeps its account and certificates: DB-less Kong cannot use its own `kong` storage
# and `shm` is lost on every restart (kong/plugins/acme/schema.lua, `storage`), so a small Redis with a volume.
ACME_STORE = "acme-store"
ACME_STORE_PORT = 6379
INFRASTRUCTURE = (DATABASE, GATEWAY, ACME_STORE)
INIT_SCRIPT = "postgres/init-databases.sh"
# Where PostgreSQL's entrypoint finds it on first start; the deploy reruns it there for new services.
INIT_SCRIPT_IN_CONTAINER = "/docker-entrypoint-initdb.d/10-fountain-databases.sh"
# Kong's one source of declarative config: the committed kong/kong.yml with the keys filled in, written by
# the deploy next to the env files. Not KONG_DECLARATIVE_CONFIG_STRING as well: with both set Kong loads the
# file (kong/init.lua, has_declarative_config), and it writes every setting, that string included, into
# .kong_env in its prefix (kong/cmd/utils/prefix_handler.lua); a path is all .kong_env then holds.
KONG_RUNTIME_CONFIG = "env/kong.yml"
KONG_CONFIG_IN_CONTAINER = "/kong/kong.yml"
RESTART = "unless-stopped"


def env_file(name: str) -> str:
    """Where the deploy writes a container's secrets (mode 0600), relative to the compose file."""
    return f"env/{name}.env"


def database_name(service: Service) -> str:
    """One database and one role per service, named for its package (a valid SQL identifier)."""
    return service.package


LABEL_SERVICE = "coach.fountain.service"
LABEL_DATABASE = "coach.fountain.database"


def service_url_variable(dependency: Service) -> str:
    """The setting naming where a dependency answers (its Settings field `<package>_url`)."""
    return f"{dependency.package.upper()}_URL"


def _service(
    service: Service, image: str, memory_mb: int, settings: BundleSettings, by_slug: dict[str, Service]
) -> dict[str, Any]:
    probe = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{APP_PORT}/health', timeout=2)"
    # Services call each other on the bundle network by container name, not through the gateway.
    urls = {service_url_variable(by_slug[d]): f"http://{d}:{APP_PORT}" for d in service.depends_on}
    return {
        "image": image,
        # The deploy reads these to write each service's env file from the bundle alone.
        "labels": {LABEL_SERVICE: service.slug, LABEL_DATABASE: database_name(service)},
        "restart": RESTART,
        # DATABASE_URL and API_KEYS carry secrets, so they only ever come from the deploy's env file.
        "env_file": [env_file(service.slug)],
        # uvicorn trusts X-Forwarded-For/-Proto from loopback only; the gateway reaches us over the bundle network.
        "environment": {
            "MIGRATE_ON_START": "true",
            "FORWARDED_ALLOW_IPS": str(settings.network_subnet),
            "CORRELATION_HEADER": settings.correlation_header,
            **urls,
        },
        "depends_on": {DATABASE: {"condition": "service_healthy"}},
        "healthcheck": {
            "test": ["CMD", "python", "-c", probe],
            "interval": "15s",
            "timeout": "3s",
            "retries": 3,
            "start_period": "20s",
        },
        "mem_limit": f"{memory_mb}m",
        "expose": [str(APP_PORT)],
    }


def _postgres(settings: BundleSettings) -> dict[str, Any]:
    return {
        "image": settings.postgres_image,
        "restart": RESTART,
        "env_file": [env_file(DATABASE)],
        "environment": {"POSTGRES_USER": "postgres", "POSTGRES_DB": "postgres"},
        "volumes": [
            "pgdata:/var/lib/postgresql/data",
            f"./{INIT_SCRIPT}:{INIT_SCRIPT_IN_CONTAINER}:ro",
        ],
        "healthcheck": {
            "test": ["CMD", "pg_isready", "-U", "postgres"],
            "interval": "10s",
            "timeout": "3s",
            "retries": 5,
        },
        "mem_limit": f"{settings.postgres_memory_mb}m",
    }


def _acme_store(settings: BundleSettings) -> dict[str, Any]:
    return {
        "image": settings.acme_store_image,
        "restart": RESTART,
        # Append-only file on the volume: certificates survive a restart of the container or the host.
        "command": ["redis-server", "--appendonly", "yes", "--save", "", "--maxmemory", "16mb"],
        "volumes": ["acme:/data"],
        "healthcheck": {"test": ["CMD", "redis-cli", "ping"], "interval": "10s", "timeout": "3s", "retries": 5},
        "mem_limit": f"{settings.acme_store_memory_mb}m",
        "expose": [str(ACME_STORE_PORT)],
    }


def _kong(services: list[Service], settings: BundleSettings) -> dict[str, Any]:
    return {
        "image": settings.kong_image,
        "restart": RESTART,
        "environment": {
            "KONG_DATABASE": "off",
            "KONG_DECLARATIVE_CONFIG": KONG_CONFIG_IN_CONTAINER,
            "KONG_PROXY_LISTEN": "0.0.0.0:8000, 0.0.0.0:8443 ssl",
            # Loopback inside the container: the admin API is reachable with `docker compose exec` only.
            "KONG_ADMIN_LISTEN": "127.0.0.1:8001",
            "KONG_PROXY_ACCESS_LOG": "/dev/stdout",
            "KONG_PROXY_ERROR_LOG": "/dev/stderr",
            "KONG_ADMIN_ACCESS_LOG": "/dev/stdout",
            "KONG_ADMIN_ERROR_LOG": "/dev/stderr",
        },
        "volumes": [f"./{KONG_RUNTIME_CONFIG}:{KONG_CONFIG_IN_CONTAINER}:ro"],
        "ports": ["80:8000", "443:8443"],
        "depends_on": {
            **{s.slug: {"condition": "service_healthy"} for s in services},
            ACME_STORE: {"condition": "service_healthy"},
        },
        "healthcheck": {
            "test": ["CMD", "kong", "health"],
            "interval": "10s",
            "timeout": "5s",
            "retries": 5,
        },
        "mem_limit": f"{settings.kong_memory_mb}m",
    }


def compose_document(services: list[Service], tags: dict[str, str], settings: BundleSettings) -> dict[str, Any]:
    """The whole Compose file; `tags` maps each service slug to its image tag."""
    memory = service_memory_mb(len(services), settings)
    containers: dict[str, Any] = {DATABASE: _postgres(settings)}
    by_slug = {s.slug: s for s in services}
    for service in services:
        image = f"{settings.image_prefix}/{service.slug}:{tags[service.slug]}"
        containers[service.slug] = _service(service, image, memory, settings, by_slug)
    containers[ACME_STORE] = _acme_store(settings)
    containers[GATEWAY] = _kong(services, settings)
    network = {"ipam": {"config": [{"subnet": str(settings.network_subnet)}]}}
    return {
        "name": settings.compose_project,
        "services": containers,
        "networks": {"default": network},
        "volumes": {"pgdata": {}, "acme": {}},
    }
