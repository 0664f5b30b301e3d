"""Locating and replacing the target function through tree-sitter."""

from __future__ import annotations

import pytest

from coder.loops.target import (
    CandidateRejected, TargetError, candidate_definition, find_function, function_at_line, function_spec,
    replace_function, same_code,
)

SOURCE = '''import os


class Box:
    @staticmethod
    def size(items,
             limit=3):
        return min(len(items), limit)

    def name(self):
        return "box"


def name(x):  # a module function with a method's name
    return x
'''


def test_replace_keeps_every_other_byte():
    target = find_function("box.py", SOURCE, "Box.size")
    assert target.source.startswith("@staticmethod")
    reply = "Sure:\n```python\n@staticmethod\ndef size(items, limit=3):\n    return len(items[:limit])\n```\n"
    new = replace_function(SOURCE, target, candidate_definition(reply, target))
    before, after = SOURCE[:SOURCE.index("    @staticmethod")], SOURCE[SOURCE.index("    def name(self)"):]
    assert new.startswith(before) and new.endswith(after)
    assert "        return len(items[:limit])\n" in new  # indented for its class


def test_a_bare_name_that_is_ambiguous_asks_for_the_class():
    assert find_function("box.py", SOURCE, "Box.name").qualname == "Box.name"
    assert find_function("box.py", SOURCE, "name").qualname == "name"  # exact beats method
    with pytest.raises(TargetError, match="no function 'missing'"):
        find_function("box.py", SOURCE, "missing")


def test_the_method_inside_a_class_in_the_reply_is_taken():
    target = find_function("box.py", SOURCE, "Box.size")
    reply = ("```python\nclass Box:\n    @staticmethod\n    def size(items, limit=3):\n        return 0\n```")
    assert candidate_definition(reply, target) == "@staticmethod\n    def size(items, limit=3):\n        return 0"


@pytest.mark.parametrize("reply, reason", [
    ("```python\ndef size(items, limit=4):\n    return 0\n```", "signature changed"),
    ("```python\ndef size(items):\n    return 0\n```", "signature changed"),
    ("```python\ndef other(items, limit=3):\n    return 0\n```", "no definition of size"),
    ("```python\ndef size(items, limit=3:\n    return (\n```", "does not parse"),
])
def test_bad_candidates_are_rejected_with_a_reason(reply, reason):
    target = find_function("box.py", SOURCE, "Box.size")
    with pytest.raises(CandidateRejected, match=reason):
        candidate_definition(reply, target)


def test_a_candidate_that_breaks_the_file_does_not_compile():
    target = find_function("box.py", SOURCE, "name")
    with pytest.raises(CandidateRejected, match="does not compile"):
        replace_function(SOURCE, target, "def name(x):\n    return x +\n")


def test_layout_of_the_parameters_is_not_the_signature():
    target = find_function("box.py", SOURCE, "Box.size")
    reply = "```python\n@staticmethod\ndef size(\n    items,\n    limit=3,\n):\n    return 1\n```"
    assert "return 1" in candidate_definition(reply, target)


def test_function_at_line_is_the_innermost():
    assert function_at_line("box.py", SOURCE, 7).qualname == "Box.size"
    assert function_at_line("box.py", SOURCE, 0) is None


TYPED = '''from typing import List


def has_close(numbers: List[float],
              threshold: float = 0.5) -> bool:
    return False
'''


def test_a_candidate_that_only_dropped_the_annotations_keeps_the_original_header():
    target = find_function("close.py", TYPED, "has_close")
    reply = "```python\ndef has_close(numbers, threshold=0.5):\n    return any(n < threshold for n in numbers)\n```"
    definition = candidate_definition(reply, target)
    assert definition == ("def has_close(numbers: List[float],\n              threshold: float = 0.5) -> bool:\n"
                          "    return any(n < threshold for n in numbers)")
    assert replace_function(TYPED, target, definition).startswith(TYPED[:TYPED.index("    return")])


@pytest.mark.parametrize("header", [
    "def has_close(numbers, threshold=0.4):",  # another default
    "def has_close(values: List[float], threshold: float = 0.5) -> bool:",  # a renamed parameter
    "def has_close(numbers: List[float]) -> bool:",  # one parameter less
])
def test_a_candidate_whose_callers_would_see_another_signature_is_rejected(header):
    target = find_function("close.py", TYPED, "has_close")
    with pytest.raises(CandidateRejected, match="signature changed"):
        candidate_definition(f"```python\n{header}\n    return True\n```", target)


def test_a_method_that_changed_its_annotations_keeps_its_header_at_the_class_indentation():
    source = "class Box:\n    def size(self, items: list,\n             limit: int = 3) -> int:\n        return 0\n"
    target = find_function("box.py", source, "Box.size")
    reply = "```python\nclass Box:\n    def size(self, items, limit=3):\n        return len(items)\n```"
    new = replace_function(source, target, candidate_definition(reply, target))
    assert new == source.replace("return 0", "return len(items)")


def test_same_code_ignores_layout_comments_and_docstrings_but_not_code():
    original = 'def f(x):\n    """Twice x."""\n\n    y = x * 2  # doubled\n    return y\n'
    assert same_code(original, 'def f(x):\n    """Two times x."""\n    y = x*2\n    return y\n')
    assert same_code(original, 'def f(x):\n    y = x * 2\n    return y\n')
    assert not same_code(original, 'def f(x):\n    """Twice x."""\n    y = x + 2\n    return y\n')
    assert not same_code(original, 'def f(x):\n    """Twice x."""\n    y = x * 2\n    return y\n\n\nZ = 1\n')


def test_same_code_falls_back_to_the_text_when_a_version_does_not_parse():
    assert same_code("def f(:\n", "def f(:\n")
    assert not same_code("def f(:\n", "def f(:\n\n")


def test_a_reply_may_be_longer_than_the_function_it_rewrites():
    from coder.loops.session import REPLY_TOKENS, reply_budget

    short = "def f(x):\n    return x + 1\n"
    assert reply_budget(short) == REPLY_TOKENS
    long = "def g(x):\n" + "    x = x * 2 + 1  # step\n" * 300  # ~8,000 characters, ~2,700 tokens
    assert reply_budget(long) > len(long) // 3 * 1.4


DOCUMENTED = '''class Shelf:
    @property
    def weight(self,
               unit="kg") -> float:  # per shelf
        # the books only
        """The books' weight.

        In `unit`."""
        def grams(book):
            """Nested: not the spec's docstring."""
            return book.grams
        return sum(map(grams, self.books)) / 1000


def bare(x): return x * 2
'''


def test_the_spec_of_a_documented_method_is_its_decorators_header_and_docstring_dedented():
    spec, documented = function_spec(find_function("shelf.py", DOCUMENTED, "Shelf.weight"))
    assert documented
    assert spec == ('@property\ndef weight(self,\n           unit="kg") -> float:  # per shelf\n    # the books only\n'
                    '    """The books\' weight.\n\n    In `unit`."""')
    assert "grams" not in spec and "return" not in spec


def test_the_spec_of_a_function_without_a_docstring_is_its_header():
    assert function_spec(find_function("shelf.py", DOCUMENTED, "bare")) == ("def bare(x):", False)
    nested_only = "def f(x):\n    def g():\n        \"\"\"g\"\"\"\n    return g\n"
    assert function_spec(find_function("f.py", nested_only, "f")) == ("def f(x):", False)
