"""The suffix checks a prefix-only model's suggestions go through (pure logic,
real tree-sitter parses)."""

from __future__ import annotations

import pytest

from coder.completion.postprocess import block_ended
from coder.completion.suffix_fit import keeps_syntax, repeats_next_line

PREFIX = "def scale(values, factor):\n    result = []\n    for v in values:\n"
SUFFIX = "\n    return result\n"


@pytest.mark.parametrize(
    "suggestion, fits",
    [
        ("        result.append(v * factor)", True),
        ("        result.append(v * factor", False),  # an unclosed call swallows the return
        ("        x = [", False),
        ("        sum += v)", False),
        ("        else:", False),  # no if to belong to
        ("", True),
    ],
)
def test_python_suggestions_are_judged_against_the_code_after_them(suggestion, fits):
    assert keeps_syntax(suggestion, language="python", prefix=PREFIX, suffix=SUFFIX) is fits


def test_a_mid_line_suggestion_may_complete_a_broken_line():
    prefix = "def area(r):\n    return 3.14 * "
    suffix = "\n\nprint(area(2))\n"
    assert keeps_syntax("r * r", language="python", prefix=prefix, suffix=suffix)
    assert not keeps_syntax("(r * r", language="python", prefix=prefix, suffix=suffix)
    assert not keeps_syntax("r * r)", language="python", prefix=prefix, suffix=suffix)


def test_errors_far_above_the_cursor_do_not_count_against_a_suggestion():
    broken_top = "def broken(:\n    pass\n\n" * 3
    assert keeps_syntax("        result.append(v)", language="python", prefix=broken_top + PREFIX, suffix=SUFFIX)


def test_brace_languages():
    prefix = "function total(items) {\n  let sum = 0;\n  for (const item of items) {\n"
    suffix = "\n  }\n  return sum;\n}\n"
    assert keeps_syntax("    sum += item.price;", language="javascript", prefix=prefix, suffix=suffix)
    assert not keeps_syntax("    sum += item.price; }", language="javascript", prefix=prefix, suffix=suffix)


def test_languages_without_a_grammar_always_fit():
    assert keeps_syntax("((((", language="text", prefix="a\n", suffix="b\n")


def test_repeating_the_next_line_is_caught():
    assert repeats_next_line("    return result", PREFIX + "        result.append(v)\n", SUFFIX)
    assert repeats_next_line("return result", PREFIX + "        result.append(v)\n    ", SUFFIX)
    assert not repeats_next_line("        result.append(v)", PREFIX, SUFFIX)
    # Text after the cursor on its line: the suggestion is inside a line, not above one.
    assert not repeats_next_line("x", "a = ", "x\nx\n")
    # The same statement one block deeper is not the next line again.
    assert not repeats_next_line("        return y - 1", "    if x == y:\n", "\n    return y - 1\n")


@pytest.mark.parametrize(
    "raw, ended",
    [
        ("return a + b", False),
        ("return a + b\n", False),
        ("return a + b\n\n", False),
        ("return a + b\n\ndef ", True),  # the next definition started: the body is done
        ("x = 1\n    y = 2\n", False),
        ("x = 1\n  ", False),  # indentation alone says nothing yet
    ],
)
def test_block_end_is_seen_while_python_streams(raw, ended):
    assert block_ended(raw, language="python", prefix="def add(a, b):\n    ") is ended


def test_block_end_in_brace_languages_waits_for_the_whole_line():
    prefix = "function f() {\n  "
    assert not block_ended("return 1;\n}", language="javascript", prefix=prefix)  # maybe `} else {`
    assert block_ended("return 1;\n}\n", language="javascript", prefix=prefix)


def test_a_model_that_sees_the_suffix_is_stopped_only_when_it_copies_the_code_below_or_leaves_the_function():
    prefix = "def sign(x):\n    if x > 0:\n"
    suffix = "\n    return 0\n\n\ndef main():\n    pass\n"
    next_branch = "        return 1\n    elif x < 0:\n        return -1\n"
    assert block_ended(next_branch, language="python", prefix=prefix, suffix=suffix)  # the rules' end
    assert not block_ended(next_branch, language="python", prefix=prefix, suffix=suffix, model_may_end=True)
    copying = "        return 1\n    return 0\n\n\ndef main():\n"
    assert block_ended(copying, language="python", prefix=prefix, suffix=suffix, model_may_end=True)
    # Code of its own at the top level: the code below cannot follow it.
    outside = "        return 1\n\n# Example\n"
    assert not block_ended(outside[:-len("# Example\n")], language="python", prefix=prefix, suffix=suffix,
                           model_may_end=True)
    assert block_ended(outside, language="python", prefix=prefix, suffix=suffix, model_may_end=True)
    # ... but not a line inside a string or a bracket the suggestion opened.
    in_a_string = '        text = """\nAt column 0\n'
    assert not block_ended(in_a_string, language="python", prefix=prefix, suffix=suffix, model_may_end=True)
    in_brackets = "        values = [\n1, 2]\n"
    assert not block_ended(in_brackets, language="python", prefix=prefix, suffix=suffix, model_may_end=True)
    # A method: a line at the class's level leaves the method.
    method = "class Shape:\n    def area(self):\n"
    assert block_ended("        x = 1\n    def other(self):\n", language="python", prefix=method,
                       suffix="\n        return x\n", model_may_end=True)
    # At the top level there is no definition to leave.
    assert not block_ended("x = 1\nprint(x)\n", language="python", prefix="import os\n", suffix="\nprint(os)\n",
                           model_may_end=True)
    # Brace languages keep their rule: a closer of the cursor's block ends it.
    assert block_ended("return 1;\n}\n", language="javascript", prefix="function f() {\n  ", model_may_end=True)
