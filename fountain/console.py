"""Where every sub-command prints: stderr, so stdout stays free for JSON reports."""

from rich.console import Console

console = Console(stderr=True, soft_wrap=True, highlight=False)
