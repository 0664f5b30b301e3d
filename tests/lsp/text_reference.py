"""An independent reference for LSP text sync: positions through the codecs.

Lines are split with str.splitlines-like rules for "\\r\\n", "\\r" and "\\n" only, and a
position's code units are counted by encoding the line's prefix, so nothing here
shares code with lsp/positions.py.
"""

from __future__ import annotations

import re

BREAK = re.compile(r"\r\n|\r|\n")
CODEC = {"utf-16": "utf-16-le", "utf-8": "utf-8", "utf-32": "utf-32-le"}
WIDTH = {"utf-16": 2, "utf-8": 1, "utf-32": 4}


def line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in BREAK.finditer(text)]


def position(text: str, offset: int, encoding: str) -> tuple[int, int]:
    starts = line_starts(text)
    line = max(i for i, s in enumerate(starts) if s <= offset)
    prefix = text[starts[line]:offset]
    return line, len(prefix.encode(CODEC[encoding])) // WIDTH[encoding]


def apply(text: str, start: int, end: int, new_text: str) -> str:
    return text[:start] + new_text + text[end:]
