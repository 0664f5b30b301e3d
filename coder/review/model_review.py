"""One model call over one review unit, and what comes back as findings.

The reply's shape is constrained with the JSON grammar in reply.gbnf where the
backend applies grammars; the confidence of each finding comes from the token
log-probabilities of the reply, or, where the backend reports none, from sampling
the reply again (see confidence.py). A deadline cancels the generation from a timer
thread, so a hung or slow model cannot hold a commit past its budget.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from coder.models.backend import ChatRequest
from coder.review import confidence as conf
from coder.review.findings import Finding
from coder.review.prompt import PromptParts
from coder.review.reply import ParsedReply, parse_reply
from coder.review.units import ReviewUnit

SAMPLE_TEMPERATURE = 0.7


PROBE_FLOOR = 0.1  # below this chance of a finding, an empty reply is not asked again


@lru_cache(maxsize=None)
def reply_grammar(at_least_one: bool = False) -> str:
    """The reply's GBNF; ``at_least_one`` makes its rule ``some`` the root."""
    text = resources.files("coder.review").joinpath("reply.gbnf").read_text(encoding="utf-8")
    if at_least_one:
        text = re.sub(r"^root(\s+::=)", r"any\1", text, flags=re.M)
        text = re.sub(r"^some(\s+::=)", r"root\1", text, flags=re.M)
    return text


@dataclass
class UnitOutcome:
    findings: list[Finding] = field(default_factory=list)
    unparsable: list[str] = field(default_factory=list)
    cancelled: bool = False  # the deadline stopped it
    replies: list[str] = field(default_factory=list)
    confidence_from: str = ""  # "logprobs" | "sampling" | "off"


def _generate(backend, request: ChatRequest, deadline: float | None) -> tuple[str, list, bool]:
    """(reply text, token logprobs, cancelled)."""
    generation = backend.chat(request)
    timer = None
    if deadline is not None:
        timer = threading.Timer(max(0.0, deadline - time.monotonic()), generation.cancel)
        timer.daemon = True
        timer.start()
    try:
        text = generation.text()
    finally:
        if timer is not None:
            timer.cancel()
    cancelled = generation.stats.finish_reason == "cancelled"
    return text, list(getattr(generation, "tokens", None) or []), cancelled


def review_unit(backend, unit: ReviewUnit, prompt: PromptParts, settings, deadline: float | None) -> UnitOutcome:
    grammar = reply_grammar() if backend.supports_grammar is not False else None
    mode = settings.confidence
    request = ChatRequest(messages=prompt.messages, max_tokens=settings.max_tokens, temperature=0.0,
                          grammar=grammar, logprobs=mode in ("auto", "logprobs"), channel="review")
    text, tokens, cancelled = _generate(backend, request, deadline)
    outcome = UnitOutcome(replies=[text], cancelled=cancelled)
    if cancelled:
        return outcome
    parsed = parse_reply(text)
    outcome.unparsable = [f"{unit.label}: {piece}" for piece in parsed.unparsable]
    scale = 1.0
    if not parsed.findings and grammar and mode in ("auto", "logprobs") and conf.has_logprobs(tokens, text):
        chance = conf.finding_probability(tokens, text)
        if chance is not None and chance >= max(settings.min_confidence, PROBE_FLOOR):
            forced = ChatRequest(messages=prompt.messages, max_tokens=settings.max_tokens, temperature=0.0,
                                 grammar=reply_grammar(at_least_one=True), logprobs=True, channel="review")
            forced_text, forced_tokens, cancelled = _generate(backend, forced, deadline)
            if cancelled:
                outcome.cancelled = True
                return outcome
            outcome.replies.append(forced_text)
            parsed, tokens, text, scale = parse_reply(forced_text), forced_tokens, forced_text, chance
    samples: list[ParsedReply] = [parsed]
    if mode == "off" or not parsed.findings:
        outcome.confidence_from = "off" if mode == "off" else ""
    elif mode in ("auto", "logprobs") and conf.has_logprobs(tokens, text):
        outcome.confidence_from = "logprobs"
    elif mode in ("auto", "sampling"):
        outcome.confidence_from = "sampling"
        for seed in range(1, settings.samples):
            if deadline is not None and time.monotonic() >= deadline:
                break
            again = ChatRequest(messages=prompt.messages, max_tokens=settings.max_tokens,
                                temperature=SAMPLE_TEMPERATURE, seed=seed, grammar=grammar, channel="review")
            sample_text, _, sample_cancelled = _generate(backend, again, deadline)
            if sample_cancelled:
                break
            outcome.replies.append(sample_text)
            samples.append(parse_reply(sample_text))
    for item in parsed.findings:
        if outcome.confidence_from == "logprobs":
            confidence = scale * conf.from_logprobs(item, tokens)
        elif outcome.confidence_from == "sampling":
            # Fewer samples than asked (the deadline): count the missing ones as disagreeing.
            confidence = conf.from_samples(item, samples) * len(samples) / max(settings.samples, 1)
        else:
            confidence = 1.0
        outcome.findings.append(Finding(
            path=unit.path, line=item.line, severity=item.severity, message=item.message,
            suggestion=item.suggestion, confidence=round(confidence, 3), source="model", quote=item.quote,
            column=_column(unit, item.line),
        ))
    return outcome


def _column(unit: ReviewUnit, line: int) -> int:
    text = unit.change.line(line)
    return len(text) - len(text.lstrip()) + 1
