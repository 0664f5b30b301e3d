"""How sure the model was of a finding: from its own token probabilities, not its words.

With token log-probabilities (``ChatRequest(logprobs=True)``) a finding's confidence
is the probability of the choices that make it: opening the finding at all (the
token holding its ``{``, where the model could have closed the list instead), the
line number and the severity. Tokens the grammar forces add nothing (probability 1);
the message's wording is left out, since many phrasings say the same thing.

A small model often answers with an empty list although it gives a finding real
odds: its probability of not closing the list at once is read from that token, and
when it is high enough the reply is asked again with a grammar that requires a
finding; those findings' confidence is that probability times their own.

Without log-probabilities (a server that does not report them) the reply is sampled
again: a finding's confidence is the share of the samples that report the same line.
"""

from __future__ import annotations

import math
import re

from coder.review.reply import ParsedFinding, ParsedReply


def token_offsets(tokens: list[tuple[str, float]]) -> list[tuple[int, int, float]]:
    """(start, end, logprob) of each token in the reply text they make up."""
    spans, position = [], 0
    for text, logprob in tokens:
        spans.append((position, position + len(text), logprob))
        position += len(text)
    return spans


def _logprob_over(spans: list[tuple[int, int, float]], start: int, end: int, counted: set[int]) -> float:
    total = 0.0
    for number, (token_start, token_end, logprob) in enumerate(spans):
        if token_start < end and token_end > start and number not in counted:
            counted.add(number)
            total += logprob
    return total


def from_logprobs(finding: ParsedFinding, tokens: list[tuple[str, float]]) -> float:
    spans = token_offsets(tokens)
    counted: set[int] = set()
    total = _logprob_over(spans, finding.start, finding.start + 1, counted)
    for name in ("line", "severity"):
        if name in finding.field_spans:
            total += _logprob_over(spans, *finding.field_spans[name], counted)
    return math.exp(min(0.0, total))


def finding_probability(tokens: list[tuple[str, float]], reply: str) -> float | None:
    """For a reply with an empty list: the model's probability of having reported a
    finding instead, 1 - P(the token that closed the list). None when it cannot tell."""
    match = re.search(r"\[\s*\]", reply)
    if match is None:
        return None
    closing = match.end() - 1
    for start, end, logprob in token_offsets(tokens):
        if start <= closing < end:
            return max(0.0, 1.0 - math.exp(min(0.0, logprob)))
    return None


def has_logprobs(tokens: list[tuple[str, float]], reply: str) -> bool:
    """Whether the backend reported real log-probabilities for this reply (a backend
    that cannot gives none, or zeros for every piece)."""
    return bool(tokens) and "".join(t for t, _ in tokens) == reply and any(lp != 0.0 for _, lp in tokens)


def from_samples(finding: ParsedFinding, samples: list[ParsedReply], tolerance: int = 1) -> float:
    """Share of all replies (the first included) reporting a finding at about this line."""
    agreeing = sum(
        1 for sample in samples if any(abs(other.line - finding.line) <= tolerance for other in sample.findings)
    )
    return agreeing / len(samples) if samples else 1.0
