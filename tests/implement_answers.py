"""Scripted answers for the OpenAI stand-in: one domain function of a hand-written module, as a model would answer."""

from __future__ import annotations

import ast

from implement.source import bound_names


def answer_from(source: str, func: str) -> dict:
    """The function, the private helpers it reaches (in module order) and the module's imports."""
    tree = ast.parse(source)
    defined = {name: node for node in tree.body for name in bound_names(node)}
    wanted, todo = set(), [func]
    while todo:
        name = todo.pop()
        if name in wanted or name not in defined:
            continue
        wanted.add(name)
        todo += [n.id for n in ast.walk(defined[name]) if isinstance(n, ast.Name)]
    lines = source.splitlines()
    parts = []
    for node in tree.body:
        if set(bound_names(node)) & wanted:
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            parts.append("\n".join(lines[first - 1 : node.end_lineno]))
    imports = [
        ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom) and n.module != "__future__"
    ]
    return {"imports": imports, "code": "\n\n\n".join(parts) + "\n", "notes": "the hand-written reference"}
