"""What a run prints: one line per event while it runs, then a plan or a summary table."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from .run import RunResult
from .settings import Settings

_STATE = {
    "current": "up to date (no call)",
    "stale": "stale: the spec slice changed (--stale regenerates it)",
    "edited": "edited by a person (kept)",
    "edited-stale": "stale and edited by a person (--stale writes a proposal beside it)",
    "hand-written": "written by a person (kept)",
    "todo": "stub",
    "failed-before": "stays a stub: its last session failed on this spec slice (--retry-failed asks again)",
}


def _shown(path: Path) -> str:
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def show_dry_run(console: Console, result: RunResult, settings: Settings) -> None:
    """What would be sent, with estimated tokens and cost."""
    table = Table(title=f"dry run: {len(result.dry_run)} session(s) with {settings.model}, nothing sent")
    for column in ("operation", "state", "prompt tokens (est.)", "at most, all rounds", "messages"):
        table.add_column(column)
    worst = 0
    for entry in result.dry_run:
        worst += entry["max_tokens"]
        table.add_row(
            f"{entry['slug']}.{entry['func']}",
            entry["state"],
            str(entry["prompt_tokens"]),
            str(entry["max_tokens"]),
            _shown(entry["file"]),
        )
    console.print(table)
    first = result.tokens.prompt * settings.price_input_per_mtok / 1e6
    console.print(
        f"estimated: {result.tokens.prompt} prompt tokens in the first round (about ${first:.4f}); "
        f"at most {worst} tokens if every session used all {settings.rounds} rounds "
        f"(prices: ${settings.price_input_per_mtok}/${settings.price_output_per_mtok} per million in/out)"
    )
    _states(console, result)


def _states(console: Console, result: RunResult) -> None:
    for item in result.items:
        if item.state != "todo" and item.state != "hand-written":
            why = f" ({item.detail})" if item.state == "failed-before" and item.detail else ""
            console.print(f"[cyan]{item.state}[/] {item.slug}.{item.func}: {_STATE[item.state]}{why}")


def show_summary(console: Console, result: RunResult) -> None:
    """Every real run ends with: filled, repaired, failed, tokens and cost."""
    if result.outcomes:
        table = Table(title="fountain implement")
        for column in ("operation", "result", "rounds", "calls", "tokens in/out", "why"):
            table.add_column(column)
        for o in result.outcomes:
            colour = {"filled": "green", "repaired": "green", "proposed": "yellow"}.get(o.status, "red")
            table.add_row(
                f"{o.slug}.{o.func}",
                f"[{colour}]{o.status}[/]",
                str(o.rounds),
                str(o.calls),
                f"{o.tokens.prompt}/{o.tokens.completion}",
                o.reason if o.status == "failed" else ", ".join(o.checks),
            )
        console.print(table)
    for diff in result.diffs:
        console.print(diff, markup=False)
    _states(console, result)
    counts = {s: sum(1 for o in result.outcomes if o.status == s) for s in ("filled", "repaired", "proposed", "failed")}
    current = sum(1 for i in result.items if i.state == "current")
    console.print(
        f"filled {counts['filled']}, repaired {counts['repaired']}, failed {counts['failed']}, "
        f"proposed {counts['proposed']}, up to date {current}; API calls {result.calls}; "
        f"tokens {result.tokens.prompt} in / {result.tokens.completion} out; cost ${result.cost_usd:.4f}"
    )
