"""Is a model's finding about code that is there? A small model invents.

A finding is kept only when
- the line it quotes is at the line it names; a model that miscounts by a line or
  three is forgiven when the quote matches exactly one line that near, and the
  finding moves there; a quote of what a hunk that near removed (the model quoted
  the code before the change) puts the finding on the hunk's first changed line;
- every name it blames in `backticks` exists: in the reviewed file, as a builtin, or
  as a definition in the repository index.
"""

from __future__ import annotations

import builtins
import keyword
import re

from coder.review.changes import FileChange
from coder.review.findings import Finding

NEAR_LINES = 3
MIN_QUOTE_CHARS = 4
_LINE_PREFIX = re.compile(r"^\s*[>+-]?\s*\d+\s*\|\s?")  # "> 12 | code", copied from the prompt
_BACKTICKED = re.compile(r"`([^`]+)`")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
BUILTIN_NAMES = set(dir(builtins)) | set(keyword.kwlist) | {"self", "cls", "this", "null", "undefined", "true", "false"}


def normalise(code: str) -> str:
    return " ".join(_LINE_PREFIX.sub("", code).split())


def quote_matches(quote: str, line: str) -> bool:
    quote, line = normalise(quote), normalise(line)
    if not quote or not line:
        return False
    if quote == line:
        return True
    return len(quote) >= min(MIN_QUOTE_CHARS, len(line)) and quote in line


def place(finding: Finding, change: FileChange) -> str | None:
    """Move the finding to the line its quote is on; the reason to drop it, or None."""
    if not finding.quote.strip():
        return "quotes no line"
    if quote_matches(finding.quote, change.line(finding.line)):
        return None
    near = [n for n in range(finding.line - NEAR_LINES, finding.line + NEAR_LINES + 1)
            if n != finding.line and quote_matches(finding.quote, change.line(n))]
    if len(near) == 1:
        finding.line = near[0]
        return None
    for hunk in change.hunks:
        first = hunk.new_start
        last = hunk.new_start + max(hunk.new_count, 1) - 1
        close = first - NEAR_LINES <= finding.line <= last + NEAR_LINES
        if close and any(quote_matches(finding.quote, removed) for removed in hunk.removed):
            finding.line = first
            return None
    return f"quotes {normalise(finding.quote)[:60]!r}, which is not at line {finding.line}"


def blamed_names(message: str) -> list[str]:
    """Identifiers the message names in backticks: `total`, `items.append()` -> items, append."""
    names = []
    for quoted in _BACKTICKED.findall(message):
        quoted = quoted.strip()
        # A backticked expression (`i <= n`) names its identifiers; a literal names nothing.
        for name in _IDENTIFIER.findall(re.sub(r"(['\"]).*?\1", "", quoted)):
            if not name[0].isdigit() and name not in names:
                names.append(name)
    return names


def missing_names(finding: Finding, change: FileChange, index=None) -> list[str]:
    words = set(_WORD.findall(change.text))
    missing = []
    for name in blamed_names(finding.message):
        if name in words or name in BUILTIN_NAMES:
            continue
        if index is not None and index.definitions(name):
            continue
        missing.append(name)
    return missing


def ground(finding: Finding, change: FileChange, index=None) -> str | None:
    """None when the finding stands (possibly moved to its quoted line), else why not."""
    reason = place(finding, change)
    if reason:
        return reason
    missing = missing_names(finding, change, index)
    if missing:
        return f"blames {', '.join(f'`{n}`' for n in missing)}, not found in the code"
    return None
