"""What a question is about: a selection, a file (optionally a line in it), or the
whole repository; and the ``PATH[:LINE]`` / ``PATH:START-END`` form the CLI takes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from coder.errors import UsageError

_WITH_LINES = re.compile(r"^(?P<path>.+?):(?P<start>\d+)(?:-(?P<end>\d+))?$")


@dataclass(frozen=True)
class AskTarget:
    """The code a question is about. Lines are 0-based and inclusive.

    ``path`` is relative to the repository root (None: the repository as a whole);
    ``text`` is the file's text as the user sees it (an unsaved buffer), None to read
    it from disk; ``start_line`` alone points at a line, with ``end_line`` it is a
    selection of whole lines unless ``selection`` gives the exact selected text."""

    path: str | None = None
    start_line: int | None = None
    end_line: int | None = None
    selection: str = ""
    text: str | None = None

    @property
    def scope(self) -> str:
        if self.path is None:
            return "repository"
        if self.selection or (self.end_line is not None and self.end_line != self.start_line):
            return "selection"
        return "file"

    def describe(self) -> str:
        """How the target reads in a prompt and on screen: "repository", "a.py",
        "a.py:12", "a.py:12-20" (1-based)."""
        if self.path is None:
            return "the repository"
        if self.start_line is None:
            return self.path
        if self.end_line is None or self.end_line == self.start_line:
            return f"{self.path}:{self.start_line + 1}"
        return f"{self.path}:{self.start_line + 1}-{self.end_line + 1}"


def parse_target(value: str) -> tuple[Path, int | None, int | None]:
    """``PATH``, ``PATH:LINE`` or ``PATH:START-END`` (1-based lines) as a path and
    0-based lines. A path that exists as given wins over reading a colon as a line."""
    if Path(value).exists():
        return Path(value), None, None
    match = _WITH_LINES.match(value)
    if not match:
        return Path(value), None, None
    start = int(match["start"])
    end = int(match["end"]) if match["end"] else None
    if start < 1 or (end is not None and end < 1):
        raise UsageError(f"{value!r}: lines start at 1")
    if end is not None and end < start:
        raise UsageError(f"{value!r}: the end line comes before the start line; write START-END")
    return Path(match["path"]), start - 1, None if end is None else end - 1


def check_lines(target: AskTarget, text: str) -> None:
    """A UsageError when the target's lines are outside the text."""
    count = len(text.split("\n")) - (1 if text.endswith("\n") else 0)  # as an editor numbers them
    # A cursor may also sit on the empty line after the last newline (the TUI's
    # editor and VS Code show it): a question asked from there is about the file's end.
    positions = len(text.split("\n"))
    for line in (target.start_line, target.end_line):
        if line is not None and not 0 <= line < positions:
            raise UsageError(f"{target.path}: line {line + 1} is outside the file ({count} lines)")
