"""Name conversions shared by the analysis and the renderers."""

from __future__ import annotations

import keyword
import re


def snake(name: str) -> str:
    """camelCase or kebab-case to snake_case, safe as a Python identifier."""
    s = re.sub(r"[^0-9a-zA-Z]+", "_", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s).lower().strip("_")
    if not s or s[0].isdigit():
        s = "x_" + s
    return s + "_" if keyword.iskeyword(s) else s


def singular(word: str) -> str:
    """A plain English singular, enough for collection names like sections or entries."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
