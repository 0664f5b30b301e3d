"""What type tests earlier in a function say a receiver may also be.

After ``if isinstance(ref, Head):`` (or in its ``else``, or after an early
``return``) ``ref`` may be a ``Head`` as well as what its binding says, so the names
valid on it are the members of both; ``hasattr(obj, "name")`` adds ``name``. A test
the resolver cannot read (``type(x) is ...``, a class it cannot follow) leaves the
receiver's set incomplete: low confidence, as before tests were read at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter

from coder.grounding.names import NameInfo
from coder.grounding.python_file import PythonFile, Scope
from coder.grounding.python_values import Evaluator, Instance, PyObject, RepoClass, Value
from coder.grounding.syntax_tree import text_of

# A call that tests the receiver: `isinstance(x, Sub)`, `hasattr(x, "f")`, `type(x)`.
_TEST_CALL = r"\b(isinstance|issubclass|hasattr|type)\(\s*{name}\s*[,)]"


@dataclass
class Narrowing:
    """Names type tests add to the receiver, or why they cannot be read."""

    infos: dict[str, NameInfo] = field(default_factory=dict)
    unreadable: str = ""  # the reason when some test is not understood


def narrowing(evaluator: Evaluator, pf: PythonFile, scope: Scope, receiver: str, cursor: int) -> Narrowing:
    """The type tests on ``receiver`` between the start of ``scope`` and ``cursor``."""
    result = Narrowing()
    start = scope.start if scope.node is not None else 0
    text = pf.source[start:cursor].decode("utf-8", "replace")
    pattern = _TEST_CALL.format(name=re.escape(receiver).replace(r"\.", r"\s*\.\s*"))
    for match in re.finditer(pattern, text):
        at = start + len(text[: match.start(1)].encode("utf-8"))
        call = _call_at(pf.tree, at)
        reason = _read_test(evaluator, pf, scope, call, match.group(1), result.infos) if call else "not a call"
        if reason and not result.unreadable:
            result.unreadable = f"{receiver} is narrowed by a type test ({reason})"
    return result


def _call_at(tree: tree_sitter.Tree, byte: int) -> tree_sitter.Node | None:
    node = tree.root_node.named_descendant_for_byte_range(byte, byte)
    while node is not None and node.type != "call":
        node = node.parent
    return node if node is not None and node.start_byte == byte else None


def _read_test(evaluator: Evaluator, pf, scope, call: tree_sitter.Node, test: str, infos: dict) -> str:
    """Add what one test says to ``infos``; the reason it cannot be read, else ""."""
    arguments = call.child_by_field_name("arguments")
    positional = [a for a in arguments.named_children if a.type != "comment"] if arguments is not None else []
    if test == "type" or len(positional) != 2:
        return f"{test}() test"
    against = positional[1]
    if test == "hasattr":
        name = text_of(against).strip("\"'") if against.type == "string" else ""
        if not name.isidentifier():
            return "hasattr() with a computed name"
        infos.setdefault(name, NameInfo(name, "attribute", "", "member"))
        return ""
    classes = against.named_children if against.type in ("tuple", "parenthesized_expression") else [against]
    for node in classes:
        value = evaluator.value(pf, scope, node, node.start_byte)
        if not (isinstance(value, RepoClass) or (isinstance(value, PyObject) and isinstance(value.obj, type))):
            return f"class {text_of(node)} not known"
        narrowed: Value = Instance(value) if test == "isinstance" else value
        listed = evaluator.members(narrowed)
        if not listed.complete:
            return listed.reason
        for name, info in listed.infos.items():
            infos.setdefault(name, info)
    return ""
