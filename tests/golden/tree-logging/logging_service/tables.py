"""SQLAlchemy tables of the Logging Service: one typed table per resource (runtime/columns.py)."""

from sqlalchemy import MetaData

from .runtime.columns import resource_table

metadata = MetaData()
logs = resource_table(
    metadata,
    *(
        "logs",
        "logId",
        (
            ("authenticated_entity", "json", True),
            ("client_ip", "str", True),
            ("consumer", "json", True),
            ("correlationId", "str", True),
            ("latencies", "json", True),
            ("level", "str", False, ("debug", "error", "info", "warning")),
            ("message", "str", False),
            ("method", "str", True),
            ("request", "json", True),
            ("response", "json", True),
            ("route", "json", True),
            ("service", "str", False),
            ("source", "str", True),
            ("started_at", "int", True),
            ("status", "int", True),
            ("tries", "json", True),
            ("upstream_uri", "str", True),
            ("workspace", "str", True),
        ),
        (("level",), ("method",), ("service",), ("status",)),
        None,
    ),
)
