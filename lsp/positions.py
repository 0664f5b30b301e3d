"""LSP positions <-> character offsets.

An LSP position is (line, character) where lines end at "\\r\\n", "\\r" or "\\n" and
the character counts code units of the negotiated encoding: UTF-16 by default, UTF-8
or UTF-32 when the client offers them. Python strings count code points, which is what
the core uses (its columns are code points, its lines end at "\\n").

A position past the end of a line means the end of that line, a line past the last
means the end of the text (the spec asks servers to clamp, not to fail).
"""

from __future__ import annotations

import re

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
ENCODINGS = (UTF8, UTF16, UTF32)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def choose_encoding(offered) -> str:
    """UTF-8 when the client offers it (no conversion for ASCII and cheaper for us),
    else UTF-16, the protocol's default."""
    offered = [str(getattr(e, "value", e)) for e in (offered or ())]
    return UTF8 if UTF8 in offered else UTF16


def _units(char: str, encoding: str) -> int:
    code = ord(char)
    if encoding == UTF16:
        return 2 if code > 0xFFFF else 1
    if encoding == UTF8:
        return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    return 1


def units_to_chars(line_text: str, units: int, encoding: str) -> int:
    """Code points of line_text covered by ``units`` code units (clamped to the line;
    a position inside a character's units rounds down to its start)."""
    if units <= 0:
        return 0
    if encoding == UTF32 or line_text.isascii():
        return min(units, len(line_text))
    counted = 0
    for index, char in enumerate(line_text):
        counted += _units(char, encoding)
        if counted > units:
            return index
        if counted == units:
            return index + 1
    return len(line_text)


def chars_to_units(line_text: str, chars: int, encoding: str) -> int:
    chars = max(0, min(chars, len(line_text)))
    head = line_text[:chars]
    if encoding == UTF32 or head.isascii():
        return chars
    if encoding == UTF8:
        return len(head.encode("utf-8", errors="surrogatepass"))
    return chars + sum(1 for c in head if ord(c) > 0xFFFF)


def _line_bounds(text: str, line: int) -> tuple[int, int] | None:
    """(start, end) offsets of an LSP line's content, or None past the last line."""
    if line < 0:
        return 0, _line_end(text, 0)
    if "\r" not in text:  # the common case, without a regex scan
        start = 0
        for _ in range(line):
            newline = text.find("\n", start)
            if newline < 0:
                return None
            start = newline + 1
        return start, _line_end(text, start)
    start = 0
    for _ in range(line):
        found = _LINE_BREAK.search(text, start)
        if found is None:
            return None
        start = found.end()
    return start, _line_end(text, start)


def _line_end(text: str, start: int) -> int:
    found = _LINE_BREAK.search(text, start) if "\r" in text else None
    if found is not None:
        return found.start()
    newline = text.find("\n", start)
    return len(text) if newline < 0 else newline


def offset_at(text: str, line: int, character: int, encoding: str = UTF16) -> int:
    """Code-point offset into text of an LSP position (clamped)."""
    bounds = _line_bounds(text, line)
    if bounds is None:
        return len(text)
    start, end = bounds
    return start + units_to_chars(text[start:end], character, encoding)


def position_at(text: str, offset: int, encoding: str = UTF16) -> tuple[int, int]:
    """LSP (line, character) of a code-point offset."""
    offset = max(0, min(offset, len(text)))
    if "\r" not in text:
        line = text.count("\n", 0, offset)
        start = text.rfind("\n", 0, offset) + 1
    else:
        if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
            offset -= 1  # inside one "\r\n" break: the end of its line
        line, start = 0, 0
        for found in _LINE_BREAK.finditer(text, 0, offset):
            line, start = line + 1, found.end()
    end = _line_end(text, start)
    return line, chars_to_units(text[start:end], offset - start, encoding)


def core_position(text: str, offset: int) -> tuple[int, int]:
    """The core's (line, column) of an offset: lines end at "\\n", columns count code points."""
    line = text.count("\n", 0, offset)
    return line, offset - (text.rfind("\n", 0, offset) + 1)
