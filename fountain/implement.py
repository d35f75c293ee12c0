"""`fountain implement`: GPT sessions fill the domain modules' stubs; only answers that pass the checks are kept."""

from __future__ import annotations

import argparse
from pathlib import Path

from implement import SettingsError
from implement.report import show_dry_run, show_summary
from implement.run import run as run_sessions
from implement.settings import load_settings

from .console import console, print_error
from .generate import handlers_dir


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("implement", help="fill domain stubs with GPT; keep only answers that pass the tests")
    cmd.add_argument("path", nargs="?", type=Path, default=Path("specs"), help="spec folder (default: specs/)")
    cmd.add_argument("--handlers", type=Path, default=None, help="hand-written handlers (default: services/)")
    cmd.add_argument("--service", action="append", default=None, help="only this service (repeatable)")
    cmd.add_argument("--dry-run", action="store_true", help="show what would be sent and its estimated cost")
    cmd.add_argument(
        "--stale", action="store_true", help="also regenerate functions whose spec slice changed (proposal if edited)"
    )
    cmd.add_argument(
        "--retry-failed", action="store_true", help="ask again for stubs whose last session failed on the same spec"
    )
    cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    handlers = handlers_dir(args.path, None, args.handlers)
    try:
        settings = load_settings()
        result = run_sessions(
            args.path,
            Path.cwd(),
            handlers,
            settings,
            dry_run=args.dry_run,
            regenerate_stale=args.stale,
            retry_failed=args.retry_failed,
            services=args.service,
            notify=lambda line: console.print(line, style="dim", markup=False),
        )
    except SettingsError as error:
        print_error(error)
        return 2
    if args.dry_run:
        show_dry_run(console, result, settings)
        return 0
    show_summary(console, result)
    return 1 if any(o.status == "failed" for o in result.outcomes) else 0
