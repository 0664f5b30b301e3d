"""The prior from the name a member's value is bound to (pure logic: a NameSet built
by hand, a tokenizer that maps each character to its code point)."""

from __future__ import annotations

import pytest

from coder.grounding.names import NameSet
from coder.grounding.target_prior import BIAS_BY_STRENGTH, first_token_bias, match_strength, members_named_like, target_of

VALID = ["write", "read", "remotes", "remote", "config_reader", "max_width", "min_width", "get_style", "style_map"]


def member_set(receiver="repo", partial="", names=VALID, kind="member"):
    return NameSet(names=[n for n in names if n.startswith(partial)], confidence="high", kind=kind,
                   receiver=receiver if kind == "member" else None, partial=partial)


def by_codepoint(text):
    return [ord(c) for c in text]


@pytest.mark.parametrize("line, expected", [
    ("    write = ", ("write", "assign")),
    ("        self.width: int = ", ("width", "assign")),
    ("    for remote in ", ("remote", "loop")),
    ("    names = [r.name for remote in ", ("remote", "loop")),
    ("    draw(width=", ("width", "keyword")),
    ("    draw(a, style =", ("style", "keyword")),
    ("    if ", None),
    ("    x == ", None),
    ("    return ", None),
])
def test_target_of_the_line(line, expected):
    assert target_of(line) == expected


@pytest.mark.parametrize("target, member, how, strength", [
    ("write", "write", "assign", 3),
    ("_theme", "theme", "assign", 3),
    ("style", "get_style", "assign", 3),
    ("remote", "remotes", "loop", 3),
    ("remote", "remotes", "assign", 0),  # a plural is only the loop's sign
    ("lines", "line", "assign", 0),
    ("width", "max_width", "assign", 2),
    ("cr", "config_reader", "assign", 2),
    ("style", "style_map", "assign", 0),
    ("obj", "object", "assign", 0),
    ("line", "readlines", "loop", 2),
    ("line", "readlines", "assign", 0),
])
def test_match_strength(target, member, how, strength):
    assert match_strength(target, member, how) == strength


def test_members_named_like_the_target_strongest_first():
    assert members_named_like(member_set(), "    for remote in repo.") == [("remotes", 3), ("remote", 3)]
    assert members_named_like(member_set(receiver="self.repo"), "    cr = self.repo.") == [("config_reader", 2)]
    assert members_named_like(member_set(), "    width = repo.") == [("max_width", 2), ("min_width", 2)]
    assert members_named_like(member_set(partial="wr"), "    write = repo.wr") == [("write", 3)]


def test_no_match_when_the_value_is_not_bound_directly_or_many_share_a_loose_match():
    assert members_named_like(member_set(), "    write = f(repo.") == []  # the name is f's result
    assert members_named_like(member_set(), "    if repo.") == []
    assert members_named_like(member_set(receiver="remote"), "    remote = remote.") == []  # rebinding the receiver
    assert members_named_like(member_set(kind="scope"), "    write = ") == []
    many = member_set(names=["a_options", "b_options", "c_options", "d_options"])
    assert members_named_like(many, "    options = repo.") == []


def test_bias_goes_on_the_first_token_after_the_typed_part():
    bias = dict(first_token_bias(member_set(), "    for remote in repo.", by_codepoint))
    assert bias == {ord("r"): BIAS_BY_STRENGTH[3]}
    bias = dict(first_token_bias(member_set(partial="max"), "    width = repo.max", by_codepoint))
    assert bias == {ord("_"): BIAS_BY_STRENGTH[2]}
    assert first_token_bias(member_set(), "    repo.", by_codepoint) == ()
