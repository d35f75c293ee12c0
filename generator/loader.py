"""Read a spec file: YAML or JSON, with duplicate keys rejected, never silently dropped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping key given twice (PyYAML keeps the last one)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise _DuplicateKey(key, line, seen[key])
        seen[key] = line
    return loader.construct_mapping(node, deep=deep)


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, first: int):
        self.key, self.line, self.first = key, line, first


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Spec authors write dates unquoted in `info.version`; keep every scalar JSON-compatible.
_StrictLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_spec_text(text: str, file: Path | str) -> dict[str, Any]:
    """Parse spec text (YAML 1.1 or JSON) into a dict, naming the file and line on failure."""
    if str(file).endswith(".json"):
        try:
            data = json.loads(text, object_pairs_hook=_json_pairs(file))
        except json.JSONDecodeError as exc:
            raise SpecError(file, f"invalid JSON: {exc.msg}", line=exc.lineno) from None
    else:
        try:
            data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader is a SafeLoader
        except _DuplicateKey as dup:
            raise SpecError(
                file, f"duplicate key {dup.key!r} (first defined on line {dup.first})", line=dup.line
            ) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            raise SpecError(file, f"invalid YAML: {getattr(exc, 'problem', exc)}", line=line) from None
    if not isinstance(data, dict):
        raise SpecError(file, "a spec must be a mapping at the top level", at="")
    return data


def _json_pairs(file: Path | str):
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise SpecError(file, f"duplicate key {key!r}")
            out[key] = value
        return out

    return hook


def load_spec(path: Path) -> dict[str, Any]:
    """Read and parse one spec file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(path, f"cannot read: {exc.strerror}") from None
    return parse_spec_text(text, path)
