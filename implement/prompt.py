"""Pure: an operation's spec slice, the signatures it may use and the project's conventions -> chat messages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .source import Answer

# The structured answer: the code for this one operation and nothing else (strict JSON schema output).
ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "imports": {"type": "array", "items": {"type": "string"}, "description": "import statements the code needs"},
        "code": {"type": "string", "description": "the function, and private helpers (names starting with _)"},
        "notes": {"type": "string", "description": "one or two sentences on the approach"},
    },
    "required": ["imports", "code", "notes"],
    "additionalProperties": False,
}

CONVENTIONS = """\
You write one function of a FastAPI service's hand-written domain module (Python 3.11, SQLAlchemy 2.0, Pydantic v2).
The generated route validates the request against the spec, calls the function and validates what it returns.
Rules of this project:
- Keep the function's name and parameters exactly as given; `ctx` first, the others keyword-only.
- ctx.session is the request's SQLAlchemy Session, already inside a transaction: never commit or roll back;
  the route commits when the function returns, and an exception leaves nothing written. Write a plain `def`;
  where the stub is `async def`, keep it async: ctx.session then runs text() statements on the driver:
  `(await ctx.session.execute(statement, params)).scalar()` (also scalar_one(), scalars(), first(), all()).
- ctx.settings holds the service's settings; ctx.version is the spec version serving the request ("v1", "v2"):
  where versions differ, adapt inside the function instead of writing a second copy.
- Return the success model (or a dict of the same shape). Raise runtime.errors.Invalid("message") for the
  operation's documented 400, runtime.errors.DomainError(status, code, message) for any other documented status.
- Only the listed tables exist; SQL goes through sqlalchemy (text() with bound parameters, never string formatting)
  and must work on PostgreSQL and SQLite alike. Concurrent requests must stay correct: take a row lock or use one
  atomic statement (INSERT ... ON CONFLICT ... RETURNING) where a read-then-write could race.
- Define only the function and private helpers (names starting with _); imports go in "imports", one statement each,
  using only the standard library, sqlalchemy, pydantic, httpx and the service's own package.
Answer with a JSON object {"imports": [...], "code": "...", "notes": "..."} and nothing else.
"""


@dataclass(frozen=True)
class Request:
    """Everything one session's first prompt is built from."""

    service: str
    package: str
    func: str
    operation_ids: tuple[str, ...]
    spec_slice: dict[str, Any]
    stub: str  # the function as it stands, with its signature comment
    module: str  # the whole domain module, so the answer fits what is there
    context: tuple[tuple[str, str], ...]  # (file name, text): models, tables, migrations, runtime signatures


def messages(request: Request) -> list[dict[str, str]]:
    """The system and user messages of the first round."""
    parts = [
        f"Service: {request.service} (Python package `{request.package}`).",
        f"Write the function `{request.func}` for the operation(s) {', '.join(request.operation_ids)}.",
        "",
        "The spec slice of this operation, per version (JSON):",
        json.dumps(request.spec_slice, indent=1, sort_keys=True, ensure_ascii=False),
        "",
        "The function as it stands (replace it):",
        "```python",
        request.stub.rstrip(),
        "```",
        "",
        "The domain module it lives in (handlers/domain.py):",
        "```python",
        request.module.rstrip(),
        "```",
    ]
    for name, text in request.context:
        parts += ["", f"{name}:", "```python", text.rstrip(), "```"]
    return [{"role": "system", "content": CONVENTIONS}, {"role": "user", "content": "\n".join(parts)}]


def repair(answer_text: str, failure: str, func: str) -> list[dict[str, str]]:
    """The messages that send a rejected answer's failure back to the model."""
    return [
        {"role": "assistant", "content": answer_text},
        {
            "role": "user",
            "content": f"Your answer was rejected.\n{failure.strip()}\n\n"
            f"Answer again with the whole code of `{func}` in the same JSON form.",
        },
    ]


class AnswerError(Exception):
    """The answer is not the JSON object asked for."""


def parse_answer(text: str) -> Answer:
    """The answer's imports and code; AnswerError says what is wrong with it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise AnswerError(f"the answer is not valid JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("code"), str):
        raise AnswerError('the answer must be a JSON object with a string "code"')
    imports = data.get("imports", [])
    if not isinstance(imports, list) or not all(isinstance(i, str) for i in imports):
        raise AnswerError('"imports" must be a list of strings')
    return Answer(tuple(imports), data["code"])


def estimate_tokens(text: str) -> int:
    """About four characters a token for English and code (no tokenizer download here)."""
    return (len(text) + 3) // 4
