"""Review units: hunks shown inside their enclosing definition, large changes in pieces."""

from __future__ import annotations

from coder.review.changes import FileChange, Hunk
from coder.review.units import MAX_EXCERPT_LINES, review_units


def change(text: str, *hunks: Hunk, path: str = "m.py") -> FileChange:
    return FileChange(path=path, status="M", text=text, hunks=list(hunks))


def test_two_hunks_in_one_method_make_one_unit_with_the_class_method_whole():
    text = "class A:\n    def f(self, n):\n        x = n\n        y = x + 1\n        return y\n\n\ndef g():\n    return 2\n"
    [unit, other] = review_units(change(text, Hunk(3, 1, (), ("        x = n",)), Hunk(5, 1, (), ("        return y",)),
                                        Hunk(9, 1, (), ("    return 2",))))
    assert unit.lines == [2, 3, 4, 5] and unit.scope == "def f(self, n):"
    assert other.lines == [8, 9]
    code = unit.numbered_code()
    assert ">    3 |         x = n" in code and "     4 |         y = x + 1" in code


def test_a_long_function_keeps_its_header_and_a_window():
    body = "".join(f"    v{n} = {n}\n" for n in range(200))
    text = "def long():\n" + body
    [unit] = review_units(change(text, Hunk(150, 1, (), ("    v148 = 148",))))
    assert unit.lines[0] == 1 and unit.lines[1] == 140 and unit.lines[-1] == 160
    assert "      | ..." in unit.numbered_code()


def test_a_thousand_line_new_file_is_reviewed_in_pieces():
    lines = [f"value_{n} = {n}" for n in range(1000)]
    units = review_units(change("\n".join(lines) + "\n", Hunk(1, 1000, (), tuple(lines))))
    assert len(units) >= 1000 // MAX_EXCERPT_LINES
    assert all(len(u.lines) <= MAX_EXCERPT_LINES + 20 for u in units)
    assert sorted(n for u in units for n in u.changed) == list(range(1, 1001))


def test_suspicion_ranks_comparisons_over_plain_assignments():
    text = "a = 1\n" + "\n" * 100 + "if a <= len(b) - 1:\n    pass\n"
    plain, risky = review_units(change(text, Hunk(1, 1, (), ("a = 1",)), Hunk(102, 1, (), ("if a <= len(b) - 1:",))))
    assert risky.suspicion() > plain.suspicion()
