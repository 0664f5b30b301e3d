"""The prior from members used below the cursor (pure logic: a NameSet built by
hand, a tokenizer that maps each character to its code point)."""

from __future__ import annotations

from coder.grounding.name_prior import BIAS_DECAY, BIAS_STRENGTH, first_token_bias, members_used_below
from coder.grounding.names import NameSet

VALID = ["print", "rule", "log", "status", "width", "push_theme"]


def member_set(receiver="console", partial="", names=VALID, confidence="high"):
    return NameSet(names=[n for n in names if n.startswith(partial)], confidence=confidence, kind="member",
                   receiver=receiver, partial=partial)


def by_codepoint(text):
    return [ord(c) for c in text]


def test_members_used_below_on_the_same_receiver_in_order_of_first_use():
    after = ("(\n"  # the rest of the cursor's line does not count
             "    console.rule('x')\n"
             "    other.print()\n"  # another receiver
             "    console . print(1)\n"
             "    console.rule('y')\n"
             "    myconsole.log()\n"  # a longer name that ends in the receiver
             "    console.invented()\n")  # not a valid member
    assert members_used_below(member_set(), after) == ["rule", "print"]


def test_a_dotted_receiver_matches_with_spaces_and_the_line_of_the_cursor_is_skipped():
    names = member_set(receiver="self.console")
    assert members_used_below(names, "print()\n    self.console.status('x')\n    console.log()\n") == ["status"]
    assert members_used_below(names, "self.console.status('x')") == []  # nothing below


def test_only_members_that_start_with_the_typed_part():
    names = member_set(partial="p")
    assert members_used_below(names, "\nconsole.rule()\nconsole.push_theme(t)\nconsole.print()\n") == ["push_theme", "print"]


def test_bias_is_largest_for_the_first_use_and_decays():
    bias = dict(first_token_bias(member_set(), "\nconsole.status()\nconsole.width\n", by_codepoint))
    assert bias == {ord("s"): BIAS_STRENGTH, ord("w"): BIAS_STRENGTH * BIAS_DECAY}


def test_bias_on_the_rest_of_a_partly_typed_name_and_shared_first_tokens_keep_the_largest():
    names = member_set(partial="p")
    bias = dict(first_token_bias(names, "\nconsole.print()\nconsole.push_theme(t)\n", by_codepoint))
    assert bias == {ord("r"): BIAS_STRENGTH, ord("u"): BIAS_STRENGTH * BIAS_DECAY}
    same_start = dict(first_token_bias(member_set(), "\nconsole.rule()\nconsole.print()\nconsole.push_theme()\n", by_codepoint))
    assert same_start[ord("p")] == BIAS_STRENGTH * BIAS_DECAY  # print's, not push_theme's smaller one


def test_no_bias_without_uses_below_or_for_a_scope_position():
    assert first_token_bias(member_set(), "\nprint('no receiver here')\n", by_codepoint) == ()
    scope = NameSet(names=VALID, confidence="high", kind="scope", receiver=None, partial="")
    assert first_token_bias(scope, "\nconsole.print()\n", by_codepoint) == ()
