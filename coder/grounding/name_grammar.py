"""A GBNF grammar that makes the model start its output with a valid name.

The grammar is llama.cpp's GBNF. Its shape:

    root  ::= name-part rest
    rest  ::= ( boundary-char tail )?        # tail is free text

``name-part`` is a radix trie over the names (minus the prefix the user already
typed): llama.cpp keeps one grammar stack per distinct next character instead of
one per name. ``rest`` must begin with a character that cannot continue an
identifier, otherwise "read" + "xyz" would sneak "readxyz" past the trie. The free
tail is ``.*`` (llama.cpp's any-character), a single stack.

Cost (bench/bench_name_grammar.py, demo model): llama.cpp's grammar sampler tests
every entry of the vocabulary (262k for Gemma) on every step, so a grammar costs
about +100 ms per token whatever its size or shape (trie or flat, 10 or 500 names,
even a bare ``.*``). Two ways around it: ``tail="none"`` (constrain only the 1-3
tokens of the name, then continue without a grammar), or ``LazyGrammar`` in an own
decode loop (check the model's pick first; mask only when rejected: near zero cost).

``identifier_boundary(language)`` tells the engine where the first identifier of
streamed output ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from coder.grounding.names import NameSet

# Characters that may continue an identifier, per language family. Non-ASCII
# letters are left out on purpose: a grammar char class over all of Unicode's
# letters is large, and code names are ASCII nearly always.
_IDENT_CLASS = {
    "javascript": "a-zA-Z0-9_$#",  # `#` for private fields (this.#count)
    "typescript": "a-zA-Z0-9_$#",
    "tsx": "a-zA-Z0-9_$#",
}
_DEFAULT_IDENT_CLASS = "a-zA-Z0-9_"


@dataclass(frozen=True)
class IdentifierBoundary:
    """Where the first identifier in generated text ends, for one language."""

    char_class: str  # regex character-class body of identifier characters

    @property
    def _pattern(self) -> re.Pattern:
        return _compiled(self.char_class)

    def first_identifier_end(self, text: str) -> int | None:
        """Index in ``text`` just past its leading identifier, or None if not known yet.

        ``text`` is generated output that continues whatever the user typed (``re``
        in ``x.re``). None means every character so far is an identifier character
        and more may follow (keep streaming). 0 means the text does not continue an
        identifier at all.
        """
        match = self._pattern.match(text)
        end = match.end() if match else 0
        if end == len(text):
            return None
        return end

    def first_identifier(self, text: str, partial: str = "") -> str:
        """The identifier the output completes: ``partial`` plus its leading word."""
        match = self._pattern.match(text)
        return partial + (match.group(0) if match else "")


_PATTERNS: dict[str, re.Pattern] = {}


def _compiled(char_class: str) -> re.Pattern:
    pattern = _PATTERNS.get(char_class)
    if pattern is None:
        pattern = _PATTERNS[char_class] = re.compile(f"[{char_class}]*")
    return pattern


def identifier_boundary(language: str) -> IdentifierBoundary:
    """How to find the end of the first identifier in generated text."""
    return IdentifierBoundary(_IDENT_CLASS.get(language, _DEFAULT_IDENT_CLASS))


def first_identifier_grammar(
    names: Iterable[str],
    partial: str = "",
    *,
    language: str = "python",
    tail: str = "free",
    shape: str = "trie",
    assignable: bool = False,
) -> str | None:
    """GBNF forcing the output to start with one of ``names`` (minus ``partial``).

    ``partial`` is the part of the name already typed before the cursor: only names
    starting with it count, and the output must write the rest of one of them. If
    ``partial`` is itself a whole name, the output may also start right away with a
    non-identifier character (``(``, space, newline ...) or be empty.

    ``tail``: ``"free"`` lets anything follow the name (rest of the line, more
    lines); ``"none"`` ends the output at the name (for engines that generate the
    name under the grammar and continue without it).
    ``shape``: ``"trie"`` (cheaper for the sampler) or ``"flat"`` (one alternation;
    kept for the benchmark).

    ``assignable``: also allow any new identifier if it is assigned right away
    (``self.total = 0``) or is one target of a tuple assignment (``self.top, ...``),
    for positions where assigning creates the member.

    Returns None when no name fits the partial (and nothing is assignable): the
    caller should then generate without a grammar rather than force an invalid name.
    """
    if tail not in ("free", "none"):
        raise ValueError(f"tail must be 'free' or 'none', not {tail!r}")
    if shape not in ("trie", "flat"):
        raise ValueError(f"shape must be 'trie' or 'flat', not {shape!r}")
    rests = sorted({name[len(partial):] for name in names if name and name.startswith(partial)})
    if not rests and not assignable:
        return None
    lines: list[str] = []
    char_class = _IDENT_CLASS.get(language, _DEFAULT_IDENT_CLASS)
    alternatives = []
    if rests:
        if shape == "trie":
            name_rule = _trie_rules(rests, lines)
        else:
            name_rule = "name"
            lines.append("name ::= " + " | ".join(_literal(rest) for rest in rests))
        alternatives.append(f"{name_rule} rest" if tail == "free" else name_rule)
    if assignable:
        # A new name (continuing the partial), then an optional annotation and `=`
        # (not `==`), or `,` before the next target; after it anything when the
        # tail is free.
        start = f"[{char_class}]*" if partial else f"[{_start_class(char_class)}] [{char_class}]*"
        after = " [^=] .*" if tail == "free" else ""
        more = " .*" if tail == "free" else ""
        lines.append(f'assign ::= {start} [ \\t]* ( ( ":" [^=\\n]* )? "="{after} | ","{more} )')
        alternatives.append("assign")
    header = ["root ::= " + " | ".join(alternatives)]
    if rests and tail == "free":
        header.append(f"rest ::= ( [^{char_class}] .* )?")
    return "\n".join(header + lines) + "\n"


def _start_class(char_class: str) -> str:
    """Identifier-start characters: the identifier class without digits."""
    return char_class.replace("0-9", "")


def grammar_for(names: "NameSet", language: str, *, tail: str = "free") -> str | None:
    """The grammar an engine should use for a NameSet, or None to generate freely.

    Policy: only high-confidence sets constrain. After ``X.`` the output must start
    with a member (or assign a new one where ``assignable``). At a bare identifier
    only once the user has typed part of it (``pri`` -> ``print``): with nothing typed
    the output may as well be a literal, an operator or a keyword. Keywords count as
    names at bare identifiers.
    """
    if not names.is_high:
        return None
    if names.kind == "member":
        return first_identifier_grammar(
            names.names, names.partial, language=language, tail=tail, assignable=names.assignable
        )
    if not names.partial:
        return None
    return first_identifier_grammar(names.allowed(), names.partial, language=language, tail=tail)


def _literal(text: str) -> str:
    """A GBNF string literal; the empty string is allowed (it matches nothing)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)  # GBNF literals take UTF-8 text as is
    return '"' + "".join(out) + '"'


class _Node:
    __slots__ = ("children", "terminal")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.terminal = False


def _trie_rules(rests: list[str], lines: list[str]) -> str:
    """Append rules for a radix trie over ``rests``; return the root rule's name."""
    root = _Node()
    for rest in rests:
        node = root
        for ch in rest:
            node = node.children.setdefault(ch, _Node())
        node.terminal = True

    counter = iter(range(1_000_000))

    def emit(node: _Node) -> str:
        # Rule names are [a-zA-Z0-9-]: no underscores in GBNF rule names.
        rule = f"n{next(counter)}"
        alternatives = []
        for ch, child in sorted(node.children.items()):
            # Follow single-child, non-terminal chains into one literal (radix trie).
            label = ch
            while len(child.children) == 1 and not child.terminal:
                (next_ch, next_child), = child.children.items()
                label += next_ch
                child = next_child
            if child.children:
                alternatives.append(f"{_literal(label)} {emit(child)}")
            else:
                alternatives.append(_literal(label))
        if node.terminal:
            alternatives.append('""')
        lines.append(f"{rule} ::= " + " | ".join(alternatives))
        return rule

    return emit(root)
