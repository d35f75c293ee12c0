"""Pure operations on a domain module's text: find a function, tell a stub, splice an answer in."""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass

_MARK = "# fountain-signature: "


class SpliceError(Exception):
    """The answer cannot go into the module as it stands; the message says why (it goes back to the model)."""


@dataclass(frozen=True)
class Answer:
    imports: tuple[str, ...]
    code: str


def _tree(source: str) -> ast.Module:
    return ast.parse(source)


def _function(tree: ast.Module, func: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    # A person may write a domain function as `async def` (runtime/db.py's `commits`): it is theirs all the same.
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    return next((n for n in tree.body if isinstance(n, kinds) and n.name == func), None)


def _span(node: ast.stmt) -> tuple[int, int]:
    """First and last line (1-based) of a top-level statement, decorators included."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return first, node.end_lineno or node.lineno


def function_source(source: str, func: str) -> str | None:
    """The text of a top-level function (decorators included, its signature comment not), or None."""
    node = _function(_tree(source), func)
    if node is None:
        return None
    first, last = _span(node)
    return "\n".join(source.splitlines()[first - 1 : last]) + "\n"


def code_hash(source: str, func: str) -> str | None:
    """sha256 of the function's text: what a provenance record remembers to notice a person's edit."""
    text = function_source(source, func)
    return hashlib.sha256(text.encode()).hexdigest() if text is not None else None


def is_stub(source: str, func: str) -> bool:
    """The function is missing, or its body (after the docstring) only raises NotImplementedError."""
    node = _function(_tree(source), func)
    if node is None:
        return True
    body = node.body[1:] if node.body and _is_docstring(node.body[0]) else node.body
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    a = node.args
    return tuple(p.arg for p in a.posonlyargs), tuple(p.arg for p in a.args), tuple(p.arg for p in a.kwonlyargs)


def bound_names(node: ast.stmt) -> list[str]:
    """The names a top-level statement binds (a def, a class, a plain or annotated assignment)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _defined(tree: ast.Module) -> dict[str, ast.stmt]:
    return {name: node for node in tree.body for name in bound_names(node)}


def _imports(tree: ast.Module) -> list[ast.stmt]:
    return [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]


def helper_names(code: str, func: str) -> list[str]:
    """The module-level names an answer defines beside the function itself."""
    return sorted(n for node in _tree(code).body for n in bound_names(node) if n != func)


def splice(source: str, func: str, answer: Answer, own_helpers: frozenset[str] = frozenset()) -> str:
    """The module with func replaced by the answer's function, its helpers and imports added.

    A helper already in the module with the same text is shared; with other text it is a clash, unless
    this function's earlier accepted answer (own_helpers) put it there, then it is replaced.
    """
    try:
        code = _tree(answer.code)
    except SyntaxError as error:
        raise SpliceError(f"the code does not parse: line {error.lineno}: {error.msg}") from None
    module = _tree(source)
    stub = _function(module, func)
    if stub is None:
        raise SpliceError(f"the module has no function {func} to replace")
    # `def` or `async def`: the route runs either (runtime/db.py's `commits`).
    new = [n for n in code.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == func]
    if len(new) != 1:
        raise SpliceError(f"the code must define the function {func} exactly once")
    if isinstance(stub, ast.AsyncFunctionDef) and not isinstance(new[0], ast.AsyncFunctionDef):
        # A person who wrote the stub async asked for it on the event loop (runtime/db.py's `commits`).
        raise SpliceError(f"{func} must stay an `async def`, as its stub is (ctx.session is then awaited)")
    if _params(new[0]) != _params(stub):
        raise SpliceError(f"{func} must keep the parameters of its signature: {ast.unparse(stub.args)}")
    import_lines = [line.strip() for line in answer.imports if line.strip()]
    helpers: list[ast.stmt] = []
    for node in code.body:
        if node is new[0]:
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            import_lines.append(ast.unparse(node))
            continue
        names = bound_names(node)
        if not names or not all(n.startswith("_") for n in names):
            raise SpliceError(
                "besides the function, the code may only define private helpers (names starting with _), found: "
                + (", ".join(names) or ast.unparse(node).splitlines()[0])
            )
        helpers.append(node)
    for line in import_lines:
        try:
            parsed = _tree(line).body
        except SyntaxError:
            raise SpliceError(f"not an import statement: {line!r}") from None
        if len(parsed) != 1 or not isinstance(parsed[0], ast.Import | ast.ImportFrom):
            raise SpliceError(f"not an import statement: {line!r}")

    lines = source.splitlines()
    existing = _defined(module)
    kept_helpers, replaced = [], []
    for node in helpers:
        text = ast.get_source_segment(answer.code, node, padded=False) or ast.unparse(node)
        for name in bound_names(node):
            old = existing.get(name)
            if old is None or ast.dump(old) == ast.dump(node):
                continue
            if name in own_helpers:
                replaced.append(old)
                continue
            raise SpliceError(f"the module already defines {name} differently; choose another name")
        if not all(ast.dump(existing.get(n, ast.Pass())) == ast.dump(node) for n in bound_names(node)):
            kept_helpers.append(_with_comments(answer.code, node, text))
    # Edit from the bottom up so earlier line numbers stay valid.
    edits: list[tuple[int, int, list[str]]] = []
    first, last = _span(stub)
    body = _with_comments(answer.code, new[0], ast.get_source_segment(answer.code, new[0]) or "")
    block = []
    for text in kept_helpers:
        block += text.splitlines() + ["", ""]
    start = first - 1
    if start > 0 and lines[start - 1].startswith(_MARK):
        start -= 1  # the helpers go above the signature comment, which stays on the function
        block += [lines[start]]
    block += body.splitlines()
    edits.append((start, last, block))
    for old in replaced:
        a, b = _span(old)
        edits.append((a - 1, b, []))
    have = {ast.dump(n) for n in _imports(module)}
    wanted = []
    for line in import_lines:
        node = _tree(line).body[0]
        if ast.dump(node) not in have and line not in wanted:
            wanted.append(line)
            have.add(ast.dump(node))
    if wanted:
        after = max((_span(n)[1] for n in _imports(module)), default=_docstring_end(module))
        edits.append((after, after, wanted))
    for a, b, replacement in sorted(edits, key=lambda e: e[0], reverse=True):
        lines[a:b] = replacement
    result = "\n".join(lines).rstrip("\n") + "\n"
    _tree(result)  # raises SyntaxError only on a bug here: the parts parsed on their own
    return result


def _docstring_end(module: ast.Module) -> int:
    if module.body and _is_docstring(module.body[0]):
        return module.body[0].end_lineno or 0
    return 0


def _with_comments(code: str, node: ast.stmt, text: str) -> str:
    """A statement's text with the decorators and comment lines directly above it."""
    lines = code.splitlines()
    first, last = _span(node)
    start = first - 1
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    return "\n".join(lines[start:last])
