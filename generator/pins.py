"""Dependency pins written into every generated service (kept equal to the project's own)."""

RUNTIME = (
    "fastapi==0.165.0",
    "uvicorn==0.54.0",
    # uvicorn picks these up when installed: C HTTP parsing and event loop (bench/sequence.py measures both).
    "httptools==0.9.0",
    "uvloop==0.23.0",
    "pydantic==2.14.4",
    "pydantic-settings==2.16.3",
    "sqlalchemy==2.1.9",
    # SQLAlchemy's asyncio extension (async domain functions) runs on greenlet; aiosqlite is its SQLite driver.
    "greenlet==3.5.6",
    "aiosqlite==0.22.1",
    "alembic==1.20.1",
    "psycopg[binary]==3.3.9",
    # The driver of `async def` domain functions on PostgreSQL (runtime/lending.py); psycopg serves the rest.
    "asyncpg==0.32.0",
    "openapi-schema-validator==0.9.0",
    # The body gate's fast yes (runtime/gate.py); the version Schemathesis itself requires.
    "jsonschema-rs==0.60.3",
    # Swagger UI's assets for /docs, served by the service itself (no CDN).
    "fastapi-offline==1.7.7",
    # datamodel-code-generator types `format: email` as pydantic's EmailStr, which needs it.
    "email-validator==2.4.0",
    # The typed clients of the services a service calls (runtime/client.py).
    "httpx==0.28.1",
)
TEST = (
    "pytest==9.2.0",
    "schemathesis==4.32.5",
    "ruff==0.17.6",
)
