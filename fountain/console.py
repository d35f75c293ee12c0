"""Where every sub-command prints: stderr, so stdout stays free for JSON reports."""

from rich.console import Console
from rich.markup import escape

console = Console(stderr=True, soft_wrap=True, highlight=False)


def print_error(message: object) -> None:
    """One error line, printed as written: brackets in a path or a hint (`.[test]`) are not markup."""
    console.print(f"[red]error[/] {escape(str(message))}")
