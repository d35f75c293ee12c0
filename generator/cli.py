"""The `fountain` command: generate service trees, check them for drift, run them locally."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console

from .errors import SpecError
from .generate import Result, generate

console = Console(stderr=True, soft_wrap=True)


def _report(result: Result) -> None:
    for warning in result.warnings:
        console.print(f"[yellow]warning[/] {warning}", highlight=False)
    for stub in result.new_stubs:
        kind = "new revision" if "/migrations/versions/" in stub else "new stub"
        console.print(f"[cyan]{kind}[/] {stub}", highlight=False)
    for changed in result.changed_signatures:
        console.print(f"[red]signature changed[/] {changed}", highlight=False)


def bundle_dir(path: Path, bundle: Path | None) -> Path | None:
    """The project's own specs/ bundle into the project (compose/, kong/); other specs only when asked."""
    if bundle is not None:
        return bundle
    return Path.cwd() if path.resolve() == (Path.cwd() / "specs").resolve() else None


def _generate(
    path: Path, out: Path, check: bool, bundle: Path | None = None, allow_destructive: bool = False
) -> Result:
    with console.status("generating", spinner="dots") as status:
        return generate(
            path,
            out,
            project_root=Path.cwd(),
            bundle_dir=bundle_dir(path, bundle),
            check=check,
            progress=lambda m: status.update(m),
            allow_destructive=allow_destructive,
        )


def cmd_generate(args: argparse.Namespace) -> int:
    result = _generate(args.path, args.output, args.check, args.bundle, args.allow_destructive)
    _report(result)
    if args.check:
        for difference in result.differences:
            console.print(f"[red]differs[/] {difference}", highlight=False)
        if result.differences or result.changed_signatures:
            console.print(
                f"{len(result.differences)} file(s) differ from what the specs produce; run `fountain generate`"
            )
            return 1
        console.print(f"[green]up to date[/]: {len(result.services)} service(s)")
        return 0
    where = bundle_dir(args.path, args.bundle)
    console.print(f"[green]generated[/] {len(result.services)} service(s) into {args.output}")
    if where is not None:
        console.print(f"[green]bundle[/] {', '.join(str(where / rel) for rel in result.bundle)}", highlight=False)
    return 0


def cmd_dev(args: argparse.Namespace) -> int:
    import uvicorn

    from .dev import build_dev_app, dev_api_key, prefix

    result = _generate(args.path, args.output, check=False)
    _report(result)
    state = Path(".fountain/dev")
    key = dev_api_key(state)
    app = build_dev_app(result.services, args.output, state, key)
    base = f"http://{args.host}:{args.port}"
    console.print(f"[green]serving[/] {len(result.services)} service(s) at {base}/ (index with every /docs)")
    for service in result.services:
        console.print(f"  {base}{prefix(service)}/docs  {service.title}", highlight=False)
    key_source = "FOUNTAIN_DEV_API_KEY" if os.environ.get("FOUNTAIN_DEV_API_KEY") else state / "api-key"
    console.print(f"API key for secured operations: in {key_source}", highlight=False)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def cmd_check_bundle(args: argparse.Namespace) -> int:
    from .bundle import BUNDLE_FILES, load_settings
    from .bundle.checks import bundle_problems
    from .bundle.tools import validate_bundle

    missing = [rel for rel in BUNDLE_FILES if not (args.root / rel).is_file()]
    if missing:
        console.print(f"[red]error[/] {args.root / missing[0]}: not found; run `fountain generate`", highlight=False)
        return 2
    files = {rel: (args.root / rel).read_text() for rel in BUNDLE_FILES}
    problems = bundle_problems(files, load_settings())
    with console.status("running docker-compose config, check-jsonschema and deck validate", spinner="dots"):
        results = validate_bundle(files)
    problems += [f"{r.tool}: {r.output}" for r in results if not r.ok]
    for problem in problems:
        console.print(f"[red]problem[/] {problem}", highlight=False)
    if problems:
        return 1
    console.print(f"[green]bundle ok[/]: our checks and {', '.join(r.tool for r in results)}", highlight=False)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="fountain", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="generate one service tree per spec (or check them)")
    gen.add_argument("path", nargs="?", type=Path, default=Path("specs"), help="spec file or folder (default: specs/)")
    gen.add_argument("-o", "--output", type=Path, default=Path("build/services"), help="where the trees go")
    gen.add_argument(
        "--bundle",
        type=Path,
        default=None,
        help="where compose/ and kong/ go (default: the project for its own specs/, else not written)",
    )
    gen.add_argument("--check", action="store_true", help="write nothing; exit 1 listing every file that differs")
    gen.add_argument(
        "--allow-destructive",
        action="store_true",
        help="write a migration that drops or narrows columns (refused otherwise, naming the field)",
    )
    gen.set_defaults(func=cmd_generate)
    check = sub.add_parser("check-bundle", help="check compose/ and kong/ with our rules and the real validators")
    check.add_argument("root", nargs="?", type=Path, default=Path("."), help="folder holding compose/ and kong/")
    check.set_defaults(func=cmd_check_bundle)
    from provision.cli import register

    register(sub)
    dev = sub.add_parser("dev", help="generate every service and serve them together on this machine")
    dev.add_argument("path", nargs="?", type=Path, default=Path("specs"))
    dev.add_argument("-o", "--output", type=Path, default=Path("build/services"))
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.set_defaults(func=cmd_dev)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command in ("deploy", "rollback", "status", "prepare"):
        from provision.cli import run

        return run(args)
    try:
        return args.func(args)
    except SpecError as error:
        console.print(f"[red]error[/] {error}", highlight=False)
        return 2


if __name__ == "__main__":
    sys.exit(main())
