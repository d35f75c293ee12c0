"""The SQL of services/central-sequence/domain.py's POST /sequence, in psycopg's paramstyle, for the baselines.

bench/sequence.py's ceiling (threads, sync psycopg) and bench/sequence_driver_app.py (FastAPI, async psycopg)
run these same statements, so the rows differ only in what sits around the SQL (the driver row in asyncpg's
`$1` style: `numbered`).
"""

TABLES = (
    "CREATE TABLE IF NOT EXISTS c (element_type text PRIMARY KEY, last_number bigint NOT NULL)",
    "CREATE TABLE IF NOT EXISTS s (element_type text, element_id bigint, sequence_number bigint NOT NULL,"
    " comment text, PRIMARY KEY (element_type, element_id), UNIQUE (element_type, sequence_number))",
)
FIND = "SELECT sequence_number FROM s WHERE element_type = %s AND element_id = %s"
TAKE = (
    "INSERT INTO c VALUES (%s, 1) ON CONFLICT (element_type) DO UPDATE"
    " SET last_number = c.last_number + 1 RETURNING last_number"
)
KEEP = "INSERT INTO s VALUES (%s, %s, %s, %s)"
GIVE_BACK = "UPDATE c SET last_number = last_number - 1 WHERE element_type = %s"


def numbered(sql: str) -> str:
    """The statement with asyncpg's numbered parameters ($1, $2, ...) in place of psycopg's %s."""
    parts = sql.split("%s")
    return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], 1)) + parts[-1]
