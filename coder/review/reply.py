"""Reading the model's reply: keep every valid finding, report the rest.

The expected form is ``{"findings": [{"line": .., "severity": .., "quote": ..,
"message": .., "suggestion": ..}, ...]}`` (the grammar in reply.gbnf enforces it
where the backend has grammars). Without a grammar a small model wraps it in code
fences, adds prose, breaks one object or stops mid-way; so the array is read one
object at a time, and each object that is not a valid finding is kept as an
"unparsable" piece of text for ``--verbose`` instead of failing the whole reply.
Each finding keeps its character span in the reply, which the confidence needs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from coder.review.findings import SEVERITIES

SEVERITY_WORDS = {"critical": "error", "bug": "error", "high": "error", "warn": "warning", "medium": "warning",
                  "info": "note", "low": "note", "suggestion": "note"}
MAX_PIECE = 160  # characters of an unparsable piece kept for the report


@dataclass
class ParsedFinding:
    line: int
    severity: str
    message: str
    quote: str
    suggestion: str | None
    start: int  # character span of the object in the reply
    end: int
    field_spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # "line", "severity" values


@dataclass
class ParsedReply:
    findings: list[ParsedFinding] = field(default_factory=list)
    unparsable: list[str] = field(default_factory=list)


_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[\s,]*")


def parse_reply(text: str) -> ParsedReply:
    result = ParsedReply()
    start = _array_start(text)
    if start is None:
        if text.strip() and not _says_nothing(text):
            result.unparsable.append(_piece(text))
        return result
    position = start + 1
    while True:
        position = _WHITESPACE.match(text, position).end()
        if position >= len(text):
            result.unparsable.append("the reply ends before the findings list is closed")
            return result
        if text[position] == "]":
            return result
        if text[position] != "{":
            result.unparsable.append(_piece(text[position:]))
            return result
        try:
            value, end = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError:
            end = _next_object(text, position)
            result.unparsable.append(_piece(text[position:end]))
            if end >= len(text):
                return result
            position = end
            continue
        finding, problem = _finding(value, text, position, end)
        if finding is not None:
            result.findings.append(finding)
        else:
            result.unparsable.append(f"{problem}: {_piece(text[position:end])}")
        position = end


def _array_start(text: str) -> int | None:
    key = re.search(r'"findings"\s*:\s*\[', text)
    if key:
        return key.end() - 1
    bracket = re.search(r"\[\s*[{\]]", text)
    return bracket.start() if bracket else None


def _says_nothing(text: str) -> bool:
    return bool(re.fullmatch(r"\W*(no (issues|findings|bugs|problems)( found)?|none|lgtm)\W*", text.strip().lower()))


def _next_object(text: str, position: int) -> int:
    """Where to go on after a broken object: the next '{' at the start of a finding."""
    match = re.compile(r"\}\s*,?\s*(?=\{)").search(text, position + 1)
    return match.end() if match else len(text)


def _piece(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_PIECE else text[: MAX_PIECE - 1] + "…"


def _finding(value, text: str, start: int, end: int) -> tuple[ParsedFinding | None, str]:
    if not isinstance(value, dict):
        return None, "not an object"
    line = value.get("line")
    if isinstance(line, str) and line.strip().isdigit():
        line = int(line)
    if isinstance(line, bool) or not isinstance(line, int) or line < 1:
        return None, "no line number"
    severity = str(value.get("severity", "")).strip().lower()
    severity = SEVERITY_WORDS.get(severity, severity)
    if severity not in SEVERITIES:
        return None, f"unknown severity {value.get('severity')!r}"
    message = value.get("message")
    if not isinstance(message, str) or not message.strip():
        return None, "no message"
    quote = value.get("quote", "")
    suggestion = value.get("suggestion")
    if not isinstance(quote, str):
        return None, "quote is not text"
    if not isinstance(suggestion, str) or not suggestion.strip():
        suggestion = None
    spans = {}
    for name in ("line", "severity"):
        match = re.compile(rf'"{name}"\s*:\s*"?([^",}}]*)').search(text, start, end)
        if match:
            spans[name] = match.span(1)
    message = " ".join(message.split())
    return ParsedFinding(line, severity, message, quote, suggestion, start, end, spans), ""
