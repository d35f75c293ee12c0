"""Tokens and their price."""

from __future__ import annotations

from dataclasses import dataclass

from .settings import Settings


@dataclass
class Tokens:
    prompt: int = 0
    completion: int = 0

    def add(self, other: Tokens) -> None:
        self.prompt += other.prompt
        self.completion += other.completion

    def as_dict(self) -> dict[str, int]:
        return {"prompt": self.prompt, "completion": self.completion}


def usd(tokens: Tokens, settings: Settings) -> float:
    """What the tokens cost at the configured prices (USD per million)."""
    return (tokens.prompt * settings.price_input_per_mtok + tokens.completion * settings.price_output_per_mtok) / 1e6
