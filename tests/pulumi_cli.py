"""What the Pulumi CLI does to a stack's config before the program starts, for the tests to run through.

Follows pulumi/pulumi `pkg/workspace/config.go` (`mergeConfig`, `validateStackConfigValue`,
`missingStackConfigurationKeysError`, `createConfigValue`) and `sdk/go/common/workspace/project.go`
(`ValidateConfigValue`): every key of Pulumi.yaml's `config` that the stack does not set gets its `default`
(or `value`) as a plain value; a declared key with neither is missing and the CLI stops; a key declared
`secret: true` whose value is not encrypted (a plain default included) is refused; values are type-checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


class CliConfigError(Exception):
    """The CLI refused the stack's config before running the program."""


@dataclass(frozen=True)
class Value:
    """One stack config value as the CLI holds it: text (JSON for objects) and whether it is encrypted."""

    text: str
    secure: bool = False
    object: bool = False


def project() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "Pulumi.yaml").read_text())


def _create(raw: Any) -> Value:
    """`createConfigValue`: primitives as their text, anything else as a JSON object value."""
    if isinstance(raw, bool):
        return Value("true" if raw else "false")
    if isinstance(raw, (str, int, float)):
        return Value(str(raw))
    return Value(json.dumps(raw), object=True)


def _valid(entry: dict[str, Any], content: Any) -> bool:
    """`ValidateConfigValue` for the types Pulumi.yaml uses."""
    kind = entry.get("type")
    if kind == "string":
        return isinstance(content, str)
    if kind == "integer":
        if isinstance(content, bool):
            return False
        if isinstance(content, int) or (isinstance(content, float) and content.is_integer()):
            return True
        if isinstance(content, str):
            try:
                int(content)
            except ValueError:
                return False
            return True
        return False
    if kind == "boolean":
        return content in ("true", "false") or isinstance(content, bool)
    if kind == "object":
        return isinstance(content, dict)
    items = entry.get("items")
    return isinstance(content, list) and items is not None and all(_valid(items, i) for i in content)


def merge(stack: str, values: dict[str, Value], proj: dict[str, Any] | None = None) -> dict[str, Value]:
    """The stack's config after `mergeConfig(validate=true)`: keys are `<project>:<name>` or `aws:region`."""
    proj = proj or project()
    name = proj["name"]
    merged = dict(values)
    missing = []
    declared = proj.get("config") or {}
    for key in sorted(declared):
        entry = declared[key] if isinstance(declared[key], dict) else {"value": declared[key]}
        full = key if ":" in key else f"{name}:{key}"
        if full in merged:
            continue
        raw = entry["default"] if "default" in entry else entry.get("value")
        if raw is None:
            missing.append(key)
            continue
        merged[full] = _create(raw)
    if missing:
        keys = (
            f"'{missing[0]}'"
            if len(missing) == 1
            else ", ".join(f"'{k}'" for k in missing[:-2])
            + (", " if len(missing) > 2 else "")
            + f"'{missing[-2]}' and '{missing[-1]}'"
        )
        plural = "value" if len(missing) == 1 else "values"
        raise CliConfigError(f"Stack '{stack}' is missing configuration {plural} {keys}")
    for key in sorted(declared):
        entry = declared[key]
        full = key if ":" in key else f"{name}:{key}"
        if not isinstance(entry, dict) or full not in merged:
            continue
        value = merged[full]
        if entry.get("secret") and not value.secure:
            raise CliConfigError(f"Stack '{stack}' with configuration key '{key}' must be encrypted as it's secret")
        if "type" in entry:
            content = json.loads(value.text) if value.object else value.text
            if not _valid(entry, content):
                kind = entry["type"] if "items" not in entry else f"array<{entry['items']['type']}>"
                raise CliConfigError(f"Stack '{stack}' with configuration key '{key}' must be of type '{kind}'")
    return merged


def stack_file(stack: str) -> dict[str, Value]:
    """A committed `Pulumi.<stack>.yaml` as the CLI reads it (an absent file is an empty config)."""
    path = ROOT / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return {}
    config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    found = {}
    for key, raw in config.items():
        if isinstance(raw, dict) and set(raw) == {"secure"}:
            found[key] = Value(str(raw["secure"]), secure=True)
        else:
            found[key] = _create(raw)
    return found


def config_set(values: dict[str, Value], argv: list[str]) -> None:
    """`pulumi config set [--secret] [--path] KEY VALUE` applied to a stack's values."""
    secret = "--secret" in argv
    path = "--path" in argv
    key, text = [a for a in argv if not a.startswith("--")]
    if path and key.endswith("]"):
        base, index = key[:-1].split("[")
        current = json.loads(values[base].text) if base in values else []
        position = int(index)
        current[position : position + 1] = [text]
        values[base] = Value(json.dumps(current), object=True)
        return
    values[key] = Value(text, secure=secret)


def program_config(merged: dict[str, Value]) -> tuple[dict[str, str], list[str]]:
    """What the language host hands the program: every value as text, and the secret keys."""
    return {k: v.text for k, v in merged.items()}, sorted(k for k, v in merged.items() if v.secure)
