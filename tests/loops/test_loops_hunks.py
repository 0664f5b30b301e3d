"""A candidate's change split into hunks, and the file with only the kept ones applied."""

from __future__ import annotations

import pytest

from coder.loops.hunks import apply_hunks, split_hunks

BEFORE = "".join(f"line {n}\n" for n in range(1, 21))
AFTER = BEFORE.replace("line 3\n", "line three\n").replace("line 15\n", "line fifteen\nline 15b\n")


def test_changes_far_apart_are_separate_hunks_shown_as_a_unified_diff_shows_them():
    first, second = split_hunks(BEFORE, AFTER)
    assert first.text.startswith("@@ -1,6 +1,6 @@\n") and "-line 3\n+line three\n" in first.text
    assert second.text.startswith("@@ -12,7 +12,8 @@\n") and "+line 15b\n" in second.text
    assert len(split_hunks(BEFORE, BEFORE)) == 0


@pytest.mark.parametrize("kept, expected", [
    (set(), BEFORE),
    ({1}, BEFORE.replace("line 3\n", "line three\n")),
    ({2}, BEFORE.replace("line 15\n", "line fifteen\nline 15b\n")),
    ({1, 2}, AFTER),
])
def test_only_the_kept_hunks_are_applied(kept, expected):
    assert apply_hunks(BEFORE, split_hunks(BEFORE, AFTER), kept) == expected


def test_a_file_without_a_final_newline_and_a_text_the_hunks_do_not_fit():
    before, after = "a\nb\nc", "a\nB\nc"
    [hunk] = split_hunks(before, after)
    assert apply_hunks(before, [hunk], {1}) == after
    with pytest.raises(ValueError, match="hunk 1 does not match"):
        apply_hunks("x\ny\nz", [hunk], {1})
