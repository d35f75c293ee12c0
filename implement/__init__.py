"""GPT sessions that fill the domain modules' stub operations; the generated tests decide what is kept.

Public surface: `plan` (what a run would do, no network), `run` (the sessions), `Settings`.
"""

from .run import Outcome, RunResult, plan, run
from .settings import Settings, SettingsError

__all__ = ["Outcome", "RunResult", "Settings", "SettingsError", "plan", "run"]
