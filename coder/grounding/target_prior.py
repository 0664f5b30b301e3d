"""A prior over which member starts a suggestion, from the name its value is given.

People name a variable after what they fetch: ``write = stream.`` wants ``write``,
``for remote in repo.`` wants ``remotes``, ``width = options.`` often ``max_width``,
``cr = repo.`` ``config_reader``. When the line binds the member's value to a name
(an assignment, a loop variable, a keyword argument), members whose name matches it
get a logit bias on their first token, larger the closer the match. Measured over
every sure site of the member benchmark: where the names are equal or differ by a
loop's plural or an accessor prefix, the wanted member is among the matches at 8
of 12 sites (GitPython 3.2.1) and 43 of 49 (rich 15.0.0); for the looser matches
(last words, initials, a loop's plural ending) at 4 of 7 and 15 of 25, so they get less.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

from coder.grounding.names import NameSet

# Logits per match strength (see match_strength).
BIAS_BY_STRENGTH = {3: 8.0, 2: 3.0}
# A looser match says little when many members share it (`options` and five
# `*_options` members): beyond this many, none of them is favoured.
MAX_LOOSE_MATCHES = 3

_IDENTIFIER = r"[A-Za-z_]\w*"
# What the line holds before the receiver, for each way of naming the value.
_ASSIGNED = re.compile(rf"^\s*(?:self\.)?({_IDENTIFIER})\s*(?::[^=]+)?=\s*$")
_LOOP = re.compile(rf"\bfor\s+({_IDENTIFIER})\s+in\s+$")
_KEYWORD = re.compile(rf"[(,]\s*({_IDENTIFIER})\s*=\s*$")
_ACCESSOR_PREFIXES = ("get_", "iter_", "to_", "as_")


def target_of(line_before_receiver: str) -> tuple[str, str] | None:
    """(name, how) for the name the member's value is bound to, when the line binds
    it directly: ``x = recv.`` (how="assign"), ``for x in recv.`` ("loop"),
    ``f(x=recv.`` ("keyword")."""
    for how, pattern in (("assign", _ASSIGNED), ("loop", _LOOP), ("keyword", _KEYWORD)):
        match = pattern.search(line_before_receiver)
        if match is not None:
            return match.group(1), how
    return None


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip("_"))
    return [word for word in spaced.lower().split("_") if word]


def match_strength(target: str, member: str, how: str) -> int:
    """3: the same name (leading underscores aside), an accessor of it (``get_x``)
    or, for a loop variable, its plural; 2: the target is the member's last words
    (``width`` / ``max_width``), its initials (``cr`` / ``config_reader``) or, for
    a loop variable, the end of the member is its plural (``line`` / ``readlines``);
    0: unrelated (a target found anywhere inside the member was right at 1 of 13
    such sites: not counted)."""
    t, m = target.strip("_").lower(), member.strip("_").lower()
    if not t or not m:
        return 0
    if t == m or any(m == prefix + t for prefix in _ACCESSOR_PREFIXES) or (how == "loop" and m == t + "s"):
        return 3
    target_words, member_words = _words(target), _words(member)
    if len(member_words) > len(target_words) and member_words[-len(target_words):] == target_words:
        return 2
    if how == "loop" and len(t) >= 3 and m.endswith(t + "s"):
        return 2  # `for line in fp.`: readlines
    if len(t) >= 2 and len(member_words) >= 2 and "".join(word[0] for word in member_words) == t:
        return 2
    return 0


def members_named_like(names: NameSet, line_before_cursor: str) -> list[tuple[str, int]]:
    """(member, strength) for the valid members that match the name the line binds
    the member's value to, strongest first."""
    if names.kind != "member" or not names.receiver:
        return []
    typed = line_before_cursor[: len(line_before_cursor) - len(names.partial)]
    receiver = r"\s*\.\s*".join(re.escape(part.strip()) for part in names.receiver.split("."))
    head = re.sub(rf"(?<![\w.]){receiver}\s*\.\s*$", "", typed)
    if head == typed:
        return []  # the receiver is not what ends the line (a broken or odd line)
    found = target_of(head)
    if found is None:
        return []
    target, how = found
    if target == names.receiver.split(".")[-1].strip():
        return []  # `tag = tag.object`: the name says what the receiver was, not the member
    scored = [(name, match_strength(target, name, how)) for name in names.names]
    strong = [(name, strength) for name, strength in scored if strength == 3]
    loose = [(name, strength) for name, strength in scored if strength == 2]
    return strong + (loose if len(loose) <= MAX_LOOSE_MATCHES else [])


def first_token_bias(
    names: NameSet, line_before_cursor: str, tokenize: Callable[[str], Sequence[int]]
) -> tuple[tuple[int, float], ...]:
    """(token id, bias) for the first token of each matching member, after what is
    typed already; the largest bias where members share a first token."""
    bias: dict[int, float] = {}
    for name, strength in members_named_like(names, line_before_cursor):
        rest = name[len(names.partial):]
        ids = tokenize(rest) if rest else ()
        if ids:
            bias[ids[0]] = max(bias.get(ids[0], 0.0), BIAS_BY_STRENGTH[strength])
    return tuple(sorted(bias.items()))
