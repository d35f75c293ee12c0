"""Where the bundle's files live, relative to the project (or bundle) root."""

COMPOSE_FILE = "compose/docker-compose.yml"
INIT_SCRIPT_FILE = "compose/postgres/init-databases.sh"
KONG_FILE = "kong/kong.yml"
BUNDLE_FILES = (COMPOSE_FILE, INIT_SCRIPT_FILE, KONG_FILE)
