"""A candidate's change as separate hunks, and the file with only some of them applied.

A front shows each hunk of ``before -> after`` and lets the user keep some and drop the
others; ``apply_hunks`` builds the text holding only the kept ones. Hunks are the
regions difflib finds with ``context`` unchanged lines around them, as in a unified
diff, so what the user reads is what is applied."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Hunk:
    number: int  # 1-based, in file order
    old_start: int  # 0-based first line of the region in before
    old_lines: tuple[str, ...]  # the region's lines in before (with their line ends)
    new_lines: tuple[str, ...]  # what replaces them
    text: str  # the hunk as a unified diff shows it (header and lines)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def split_hunks(before: str, after: str, context: int = 3) -> list[Hunk]:
    old, new = _lines(before), _lines(after)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    hunks = []
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        old_start, old_end, new_start, new_end = first[1], last[2], first[3], last[4]
        shown = [f"@@ -{old_start + 1},{old_end - old_start} +{new_start + 1},{new_end - new_start} @@\n"]
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                shown += [" " + line for line in old[i1:i2]]
                continue
            shown += ["-" + line for line in old[i1:i2]]
            shown += ["+" + line for line in new[j1:j2]]
        text = "".join(line if line.endswith("\n") else line + "\n" for line in shown)
        hunks.append(Hunk(len(hunks) + 1, old_start, tuple(old[old_start:old_end]), tuple(new[new_start:new_end]),
                          text))
    return hunks


def apply_hunks(before: str, hunks: list[Hunk], kept: set[int]) -> str:
    """before with the hunks whose numbers are in kept applied (the others left out)."""
    old = _lines(before)
    result: list[str] = []
    position = 0
    for hunk in sorted(hunks, key=lambda h: h.old_start):
        result += old[position:hunk.old_start]
        end = hunk.old_start + len(hunk.old_lines)
        if list(old[hunk.old_start:end]) != list(hunk.old_lines):
            raise ValueError(f"hunk {hunk.number} does not match the text it was made from")
        result += hunk.new_lines if hunk.number in kept else hunk.old_lines
        position = end
    result += old[position:]
    return "".join(result)
