"""One operation's session: ask, check, send the failure back, at most `rounds` answers; accept or leave the stub."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openai

from . import prompt
from .checks import CheckResult, Target, run_checks
from .cost import Tokens
from .source import SpliceError, helper_names, splice

_TITLE = re.compile(r"^\|?\s*- ((?:ST\d+ )?[A-Z][\w -]+)$")
SEED = 20240917  # Schemathesis' seed: a candidate and its rerun see the same examples


@dataclass
class Outcome:
    """What one session did; `module` is the accepted module text (None when nothing was accepted)."""

    slug: str
    func: str
    status: str  # filled | repaired | failed | proposed
    rounds: int = 0
    calls: int = 0  # answers received (the SDK's own retries of one call are not answers)
    tokens: Tokens = field(default_factory=Tokens)
    reason: str = ""
    checks: list[str] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)
    module: str | None = None
    prompt_sha256: str = ""
    transcript: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    target: Target
    request: prompt.Request
    prompt_sha256: str
    own_helpers: frozenset[str]
    read_module: Callable[[], str]  # the module as it is on disk when the answer is checked
    accept: Callable[[Outcome], None]  # writes what was accepted; called with the service's lock held
    lock: threading.Lock


def run_session(client: openai.OpenAI, settings: Any, job: Job, notify: Callable[[str], None]) -> Outcome:
    """Ask for the function, check each answer, repair up to settings.rounds; nothing is written unless accepted."""
    target = job.target
    messages = prompt.messages(job.request)
    outcome = Outcome(target.slug, target.func, "failed", prompt_sha256=job.prompt_sha256)
    outcome.transcript = {
        "model": settings.model,
        "prompt_sha256": job.prompt_sha256,
        "messages": messages,
        "rounds": [],
    }
    for round_ in range(1, settings.rounds + 1):
        outcome.rounds = round_
        try:
            response = client.chat.completions.create(
                model=settings.model,
                messages=messages,
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "domain_function", "strict": True, "schema": prompt.ANSWER_SCHEMA},
                },
                max_completion_tokens=settings.max_output_tokens,
            )
        except openai.APITimeoutError:
            outcome.reason = (
                f"the API did not answer within {settings.timeout:g} s ({settings.max_retries + 1} attempt(s)); "
                "FOUNTAIN_IMPLEMENT_TIMEOUT sets the limit"
            )
            break
        except openai.APIStatusError as error:
            outcome.reason = f"the API answered {error.status_code}: {_short(error.message)}"
            break
        except openai.APIConnectionError as error:
            outcome.reason = f"could not reach the API: {_short(str(error))}"
            break
        outcome.calls += 1
        text = (response.choices[0].message.content or "") if response.choices else ""
        used = Tokens(response.usage.prompt_tokens, response.usage.completion_tokens) if response.usage else Tokens()
        outcome.tokens.add(used)
        entry: dict[str, Any] = {"round": round_, "answer": text, "tokens": used.as_dict()}
        outcome.transcript["rounds"].append(entry)
        failure = _check(job, settings, text, outcome, entry)
        if failure is None:
            if outcome.status != "proposed":  # a person's edit got a proposal, not a replacement
                outcome.status = "filled" if round_ == 1 else "repaired"
            notify(f"{target.slug}.{target.func}: accepted in round {round_}")
            return outcome
        notify(f"{target.slug}.{target.func}: round {round_} rejected ({entry['failed']})")
        outcome.reason = f"{entry['failed']}: {_short(failure)}"
        messages = messages + prompt.repair(text, failure, target.func)
    outcome.transcript["reason"] = outcome.reason
    return outcome


def _check(job: Job, settings: Any, text: str, outcome: Outcome, entry: dict[str, Any]) -> str | None:
    """None when the answer was accepted (and written); else the failure to send back."""
    try:
        answer = prompt.parse_answer(text)
    except prompt.AnswerError as error:
        entry.update(failed="json", output=str(error))
        return str(error)
    with job.lock:
        base = job.read_module()
        try:
            candidate = splice(base, job.target.func, answer, job.own_helpers)
        except SpliceError as error:
            entry.update(failed="parse", output=str(error))
            return str(error)
        result: CheckResult = run_checks(
            job.target,
            candidate,
            base,
            examples=settings.schemathesis_examples,
            seed=SEED,
            timeout=settings.check_timeout,
        )
        entry.update(passed=["parse", *result.passed], failed=result.failed, output=result.output)
        if not result.ok:
            return result.output
        outcome.checks = ["parse", *result.passed]
        outcome.helpers = helper_names(answer.code, job.target.func)
        outcome.module = candidate
        job.accept(outcome)
        return None


def _short(text: str) -> str:
    """The first meaningful line of a failure, for the summary (the transcript keeps all of it)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    first = lines[0] if lines else ""
    if len(lines) > 1 and first.endswith("failed:"):
        # An assertion's message, else Schemathesis' failure title ("- ST202 Schema-valid request rejected").
        found = [line.split("AssertionError:", 1)[1].strip() for line in lines if "AssertionError:" in line]
        found += [m[1] for line in lines if (m := _TITLE.match(line))]
        found += [line[2:].strip() for line in lines if line.startswith("E ")]
        first = f"{first} {found[0] if found else lines[-1]}"
    elif len(lines) > 1 and first.endswith(":"):
        first = f"{first} {lines[1]}"
    return first[:300]
