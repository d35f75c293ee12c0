"""The one user-facing error type of the generator."""

from __future__ import annotations

from pathlib import Path


def escape_pointer_token(token: object) -> str:
    """Escape one JSON pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: object) -> str:
    """Build a JSON pointer from raw tokens."""
    return "".join("/" + escape_pointer_token(t) for t in tokens)


class SpecError(Exception):
    """A problem in the user's input: names the file and the place in it."""

    def __init__(self, file: Path | str, message: str, *, at: str | None = None, line: int | None = None):
        self.file = str(file)
        self.at = at
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.at is not None:
            where += f" at {self.at or '/'}"
        return f"{where}: {self.message}"
