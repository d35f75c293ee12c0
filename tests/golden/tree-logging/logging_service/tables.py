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
            ("correlationId", "str", True),
            ("level", "str", False),
            ("message", "str", False),
            ("request", "json", True),
            ("service", "str", False),
        ),
        (("level",), ("service",)),
        None,
    ),
)
