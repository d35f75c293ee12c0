"""`fountain dev`: generate every service and serve them together on this machine."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .console import console, print_error
from .generate import generate_with_progress, report


def register(sub: argparse._SubParsersAction) -> None:
    dev = sub.add_parser("dev", help="generate every service and serve them together on this machine")
    dev.add_argument("path", nargs="?", type=Path, default=Path("specs"))
    dev.add_argument("-o", "--output", type=Path, default=Path("build/services"))
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument(
        "--database",
        metavar="URL",
        # The environment keeps a password off the command line (and out of `ps`).
        default=os.environ.get("FOUNTAIN_DEV_DATABASE"),
        help="each service's database URL, {service} standing for its package "
        "(postgresql+psycopg://host/fountain_{service}); default: FOUNTAIN_DEV_DATABASE, "
        "else a SQLite file per service in .fountain/dev/",
    )
    dev.set_defaults(func=run)


def port_holder(host: str, port: int) -> str | None:
    """None when host:port can be bound, else who holds it ("pid 123 (python3 -m http.server)")."""
    import socket

    import psutil

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # uvicorn sets SO_REUSEADDR too, so a port only in TIME_WAIT does not count as taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            return None
        except OSError as error:
            reason = error.strerror or str(error)
    for conn in psutil.net_connections(kind="inet"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
            try:
                process = psutil.Process(conn.pid)
                return f"pid {conn.pid} ({' '.join(process.cmdline()) or process.name()})"
            except psutil.Error:
                return f"pid {conn.pid}"
    return f"another process ({reason}; run as its owner or root to see which)"


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from generator.contract import KEEP_ALIVE_SECONDS
    from generator.dev import build_dev_app, dev_api_key, prefix

    if args.database is not None and "{service}" not in args.database:
        # One database for six services would mix their Alembic histories in one alembic_version table.
        # The URL itself is not echoed: it may hold a password.
        console.print(
            "[red]error[/] --database (or FOUNTAIN_DEV_DATABASE) needs {service} in the URL: each service has its own database"
        )
        return 2
    holder = port_holder(args.host, args.port)
    if holder is not None:
        print_error(f"{args.host}:{args.port} is in use by {holder}; stop it or pass --port")
        return 2
    result = generate_with_progress(args.path, args.output, check=False)
    report(result)
    state = Path(".fountain/dev")
    key = dev_api_key(state)
    base = f"http://{args.host}:{args.port}"
    # A wildcard address is not one a client can call; the services reach each other over loopback.
    local = base if args.host not in ("0.0.0.0", "::", "") else f"http://127.0.0.1:{args.port}"
    app = build_dev_app(result.services, args.output, state, key, local, args.database)
    console.print(f"[green]serving[/] {len(result.services)} service(s) at {base}/ (index with every /docs)")
    for service in result.services:
        console.print(f"  {base}{prefix(service)}/docs  {service.title}")
    key_source = "FOUNTAIN_DEV_API_KEY" if os.environ.get("FOUNTAIN_DEV_API_KEY") else state / "api-key"
    console.print(f"API key for secured operations: in {key_source}")
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", timeout_keep_alive=KEEP_ALIVE_SECONDS)
    return 0
