"""Splicing an answer into a domain module: what is refused (the reason goes back to the model) and what is kept."""

import pytest

from implement.source import Answer, SpliceError, code_hash, function_source, is_stub, splice

MODULE = '''"""Domain."""

from typing import Any

from svc.runtime.context import Context

_LIMIT = 10


# fountain-signature: abc f(body: Body) -> dict[str, Any]
def f(
    ctx: Context,
    *,
    body: Any,
) -> dict[str, Any]:
    """f: POST /f"""
    raise NotImplementedError


# fountain-signature: def g() -> dict[str, Any]
def g(ctx: Context) -> dict[str, Any]:
    return {"g": _LIMIT}
'''


def test_the_function_replaces_the_stub_with_its_helpers_and_imports():
    answer = Answer(
        ("import math", "from typing import Any"),
        "_STEP = 2\n\n\ndef f(ctx, *, body):\n    return {'n': math.prod([_STEP, _LIMIT])}\n",
    )
    out = splice(MODULE, "f", answer)
    assert not is_stub(out, "f") and is_stub(MODULE, "f")
    assert out.count("from typing import Any") == 1 and "import math\n" in out
    assert out.index("_STEP = 2") < out.index("# fountain-signature: abc") < out.index("def f(ctx, *, body):")
    assert function_source(out, "g") == function_source(MODULE, "g")
    assert code_hash(out, "f") != code_hash(MODULE, "f")


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("def f(ctx, *, body:\n    pass\n", "does not parse"),
        ("def h(ctx, *, body):\n    return {}\n", "exactly once"),
        ("def f(ctx, *, data):\n    return {}\n", "keep the parameters"),
        ("LIMIT = 3\n\n\ndef f(ctx, *, body):\n    return {}\n", "private helpers"),
        ("_LIMIT = 3\n\n\ndef f(ctx, *, body):\n    return {}\n", "already defines _LIMIT differently"),
        ("def f(ctx, *, body):\n    return {}\n\n\nasync def f(ctx, *, body):\n    return {}\n", "exactly once"),
    ],
)
def test_what_cannot_go_in_is_refused_with_a_reason(code: str, why: str):
    with pytest.raises(SpliceError, match=why):
        splice(MODULE, "f", Answer((), code))


def test_a_helper_with_the_same_text_is_shared_and_its_own_earlier_helper_replaced():
    shared = splice(MODULE, "f", Answer((), "_LIMIT = 10\n\n\ndef f(ctx, *, body):\n    return {'n': _LIMIT}\n"))
    assert shared.count("_LIMIT = 10") == 1
    again = splice(
        MODULE,
        "f",
        Answer((), "_LIMIT = 12\n\n\ndef f(ctx, *, body):\n    return {'n': _LIMIT}\n"),
        frozenset({"_LIMIT"}),
    )
    assert "_LIMIT = 12" in again and "_LIMIT = 10" not in again


def test_a_bad_import_line_is_refused():
    with pytest.raises(SpliceError, match="not an import"):
        splice(MODULE, "f", Answer(("math.prod()",), "def f(ctx, *, body):\n    return {}\n"))


def test_a_persons_async_function_is_theirs_not_a_stub():
    # A domain function may be `async def` (runtime/db.py's `commits`); fountain implement must not take it for
    # a missing function and write a second one.
    written = MODULE.replace("def g(ctx: Context)", "async def g(ctx: Context)")
    assert not is_stub(written, "g")
    assert function_source(written, "g").startswith("async def g(")


def test_an_async_answer_replaces_the_stub():
    out = splice(MODULE, "f", Answer((), "async def f(ctx, *, body):\n    return {'n': _LIMIT}\n"))
    assert function_source(out, "f") == "async def f(ctx, *, body):\n    return {'n': _LIMIT}\n"
    assert not is_stub(out, "f")


def test_an_async_stub_takes_only_an_async_answer():
    module = MODULE.replace("def f(\n", "async def f(\n")
    with pytest.raises(SpliceError, match="must stay an `async def`"):
        splice(module, "f", Answer((), "def f(ctx, *, body):\n    return {}\n"))
    out = splice(module, "f", Answer((), "async def f(ctx, *, body):\n    return {}\n"))
    assert function_source(out, "f") == "async def f(ctx, *, body):\n    return {}\n"
