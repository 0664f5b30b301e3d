"""A prior over which member starts a suggestion, from the code below the cursor.

A prefix-only model never sees the lines after the cursor, yet they often use the
receiver the user is typing: ``console.`` typed above ``console.print(...)``, or a
new line above others that call the same object. Member benchmark (GitPython, rich):
where the receiver's text recurs in the next lines, the member the user wanted is
one of the members used there in most cases, and the first of them in about half.
A logit bias on the first token of those members, largest for the first one used,
leans the constrained choice toward them without overruling a clear preference of
the model.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

from coder.grounding.names import NameSet

BELOW_LINES = 400  # lines after the cursor searched for uses of the receiver
BELOW_NAMES = 4  # members used there that get a bias, in order of first use
BIAS_STRENGTH = 4.0  # logits added for the first member used (member benchmark: 4 helped, see BENCHMARKS.md)
BIAS_DECAY = 0.6  # each later member gets this share of the one before


def members_used_below(names: NameSet, text_after_cursor: str) -> list[str]:
    """Valid members accessed on the same receiver text in the lines below the
    cursor (the rest of the cursor's line excluded), in order of first use."""
    if names.kind != "member" or not names.receiver:
        return []
    newline = text_after_cursor.find("\n")
    if newline < 0:
        return []
    below = "\n".join(text_after_cursor[newline + 1:].split("\n")[:BELOW_LINES])
    receiver = r"\s*\.\s*".join(re.escape(part.strip()) for part in names.receiver.split("."))
    valid = set(names.names)
    found: list[str] = []
    for match in re.finditer(rf"(?<![\w.]){receiver}\s*\.\s*([A-Za-z_]\w*)", below):
        name = match.group(1)
        if name in valid and name not in found:
            found.append(name)
            if len(found) >= BELOW_NAMES:
                break
    return found


def first_token_bias(
    names: NameSet, text_after_cursor: str, tokenize: Callable[[str], Sequence[int]]
) -> tuple[tuple[int, float], ...]:
    """(token id, bias) for the first token of each member used below, after what is
    typed already; the largest bias where members share a first token."""
    bias: dict[int, float] = {}
    value = BIAS_STRENGTH
    for name in members_used_below(names, text_after_cursor):
        rest = name[len(names.partial):]
        ids = tokenize(rest) if rest else ()
        if ids:
            bias[ids[0]] = max(bias.get(ids[0], 0.0), value)
        value *= BIAS_DECAY
    return tuple(sorted(bias.items()))
