"""The monthly cost estimate of a stack and the budget guard (pure: numbers in, numbers out)."""

from __future__ import annotations

from dataclasses import dataclass

from .config import ConfigError, Prices


@dataclass(frozen=True)
class Estimate:
    currency: str
    lines: tuple[tuple[str, float], ...]

    @property
    def total(self) -> float:
        return round(sum(amount for _, amount in self.lines), 2)

    def as_output(self) -> dict[str, object]:
        return {"currency": self.currency, "total": self.total, "lines": {name: amount for name, amount in self.lines}}

    def describe(self) -> str:
        return ", ".join(f"{name} {amount:.2f}" for name, amount in self.lines)


def estimate(prices: Prices, bundle: str, secrets: int, static_ips: int = 1) -> Estimate:
    """Host plan, Secrets Manager secrets, snapshots and static IPs for one month.

    Automatic snapshots are incremental after the first, so storage is taken as one full disk.
    """
    plan = prices.bundles[bundle]
    lines = (
        (f"host {bundle}", round(plan["monthly"], 2)),
        (f"{secrets} secrets", round(secrets * prices.secret_monthly, 2)),
        (f"snapshots {plan['diskGb']:.0f} GB", round(plan["diskGb"] * prices.snapshot_gb_month, 2)),
        (f"{static_ips} static IP", round(static_ips * prices.static_ip_monthly, 2)),
    )
    return Estimate(prices.currency, lines)


def guard(cost: Estimate, budget: int, budget_key: str) -> None:
    """Fail the program when the estimate is over budget, saying what it is made of."""
    if cost.total > budget:
        raise ConfigError(
            f"estimated monthly cost {cost.total:.2f} {cost.currency} is over the budget of {budget} {cost.currency} "
            f"({budget_key}): {cost.describe()}. Pick a smaller bundle or raise {budget_key}."
        )
