"""The names valid at a cursor in Python source.

The word being typed is replaced by a placeholder identifier before parsing, so
``reader.`` and ``reader.re`` both parse as a complete attribute access, and every
keystroke inside the same word reuses one cached parse.
"""

from __future__ import annotations

import re

import tree_sitter

from coder.grounding import python_runtime as runtime
from coder.grounding.names import HIGH, LOW, NameSet, free
from coder.grounding.python_file import PythonFile, Scope
from coder.grounding.python_narrowing import narrowing
from coder.grounding.python_values import Evaluator, Members, Unknown, Value
from coder.grounding.ranking import RankContext, rank_names, shape_of
from coder.grounding.repo_view import RepoView
from coder.grounding.syntax_tree import inside_node_of_type

PLACEHOLDER = "__coder_cursor__"
# `self.` starting a statement, or after other targets of a tuple assignment
# (`self.top_left, self.`): a new attribute may be created there.
_SELF_STATEMENT = re.compile(r"[ \t]*(?:\(?[ \t]*(?:(?:self|cls)\.)?[A-Za-z_]\w*[ \t]*,[ \t]*)*(self|cls)\.$")
_TRAILING_CHAIN = re.compile(r"((?:[A-Za-z_]\w*\s*\.\s*)*[A-Za-z_]\w*)\s*$")

# Parents in which an identifier at the cursor names something new (a definition,
# a parameter, an import path), where no existing name is required.
_NEW_NAME_PARENTS = {
    "function_definition": "name",
    "class_definition": "name",
    "keyword_argument": "name",
    "default_parameter": "name",
    "typed_default_parameter": "name",
    "aliased_import": "alias",
}
_NEW_NAME_CONTAINERS = (
    "parameters", "lambda_parameters", "typed_parameter", "dotted_name", "as_pattern_target",
    "pattern_list", "tuple_pattern", "list_pattern", "global_statement", "nonlocal_statement",
    "import_statement", "import_from_statement", "list_splat_pattern", "dictionary_splat_pattern",
)


class CursorSite:
    """The parsed file (with the placeholder) and where the typed word sits in it."""

    def __init__(self, repo: RepoView, path: str, text: str, offset: int):
        self.text = text
        self.offset = offset
        start = offset
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
            start -= 1
        self.word_start = start
        self.partial = text[start:offset]
        word_end = offset
        while word_end < len(text) and (text[word_end].isalnum() or text[word_end] == "_"):
            word_end += 1
        self.word_end = word_end
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", word_end)
        rest_of_line = text[word_end:] if line_end < 0 else text[word_end:line_end]
        # A line typed up to the cursor leaves its brackets open (`f(x.`), and the
        # parser may then fold the rest of the file into an error: close them.
        closers = _closing_brackets(text[line_start:start]) if not rest_of_line.strip() else ""
        patched = text[: self.word_start] + PLACEHOLDER + closers + text[word_end:]
        self.pf: PythonFile = repo.parsed("python-cursor", path, patched, PythonFile)
        self.byte = len(text[: self.word_start].encode("utf-8"))
        node = self.pf.tree.root_node.named_descendant_for_byte_range(self.byte, self.byte + len(PLACEHOLDER))
        self.node = node if node is not None and node.type == "identifier" and node.start_byte == self.byte else None
        self.scope: Scope = self.pf.scope_at(self.byte)


_CLOSER = {"(": ")", "[": "]", "{": "}"}


def _closing_brackets(line: str) -> str:
    """What closes the brackets ``line`` opens and leaves open, innermost first
    (nothing inside an unfinished string, where the cursor is not in code)."""
    stack: list[str] = []
    quote = None
    i = 0
    while i < len(line):
        char = line[i]
        if quote is not None:
            if char == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
        elif char in "\"'":
            quote = line[i:i + 3] if line[i:i + 3] in ('"""', "'''") else char
            i += len(quote)
            continue
        elif char == "#":
            break
        elif char in _CLOSER:
            stack.append(char)
        elif char in ")]}" and stack:
            stack.pop()
        i += 1
    if quote is not None:
        return ""
    return "".join(_CLOSER[char] for char in reversed(stack))


def resolve_python(repo: RepoView, evaluator: Evaluator, path: str, text: str, offset: int) -> NameSet:
    site = CursorSite(repo, path, text, offset)
    partial = site.partial
    if partial[:1].isdigit():
        return free("scope", partial, "inside a number")
    before = text[: site.word_start]
    is_member = before.endswith(".")
    node = site.node
    if node is None:
        if inside_node_of_type(site.pf.tree, site.byte, ("string", "comment")):
            return free("member" if is_member else "scope", partial, "inside a string or comment")
        if is_member and not before.endswith(".."):
            return _member_from_text(site, evaluator, before[:-1])
        return free("member" if is_member else "scope", partial, "not at an identifier (string, comment or broken code)")
    parent = node.parent
    if parent is not None and parent.type == "attribute" and parent.child_by_field_name("attribute").id == node.id:
        receiver = parent.child_by_field_name("object")
        value = evaluator.value(site.pf, site.scope, receiver, site.byte)
        return _member_set(site, evaluator, receiver.text.decode("utf-8", "replace"), value)
    if is_member:
        if parent is not None and parent.type in ("dotted_name", "relative_import"):
            return free("member", partial, "module path in an import")
        return _member_from_text(site, evaluator, before[:-1])
    return _scope_set(site, evaluator, node)


def _member_from_text(site: CursorSite, evaluator: Evaluator, before: str) -> NameSet:
    """Fallback when the tree is broken around the cursor: follow `a.b.c` by name."""
    match = _TRAILING_CHAIN.search(before)
    if match is None:
        return free("member", site.partial, "receiver is not a plain name chain")
    chain = [part.strip() for part in match.group(1).split(".")]
    value: Value = evaluator.lookup(site.pf, site.scope, chain[0], site.byte)
    for part in chain[1:]:
        value = evaluator.member_value(value, part)
    return _member_set(site, evaluator, ".".join(chain), value)


def _member_set(site: CursorSite, evaluator: Evaluator, receiver: str, value: Value) -> NameSet:
    members: Members = evaluator.members(value)
    infos = {name: info for name, info in members.infos.items() if not name.startswith(PLACEHOLDER)}
    complete = members.complete and not isinstance(value, Unknown)
    reason = "" if complete else (members.reason or "receiver not resolved")
    # Past `isinstance(x, Sub)` x may also have Sub's members.
    narrowed = narrowing(evaluator, site.pf, site.scope, receiver, site.byte)
    for name, info in narrowed.infos.items():
        if not name.startswith(PLACEHOLDER):
            infos.setdefault(name, info)
    if complete and narrowed.unreadable:
        complete, reason = False, narrowed.unreadable
    # `self.x` / `this.x` starting a statement may create the attribute by assigning it.
    assignable = _SELF_STATEMENT.match(site.text, site.text.rfind("\n", 0, site.word_start) + 1, site.word_start) is not None
    call, assign = shape_of(site.text, site.offset, site.word_end, "member")
    context = RankContext(
        site.text, site.offset, "member", site.partial, call, assign,
        private_ok=receiver in ("self", "cls") or receiver.startswith(("self.", "cls.")),
    )
    names = rank_names(infos, context, _usage(evaluator))
    return NameSet(
        names=names,
        confidence=HIGH if complete else LOW,
        kind="member",
        receiver=receiver,
        partial=site.partial,
        details={name: infos[name] for name in names},
        receiver_label=members.label,
        reason=reason,
        assignable=assignable,
    )


def _scope_set(site: CursorSite, evaluator: Evaluator, node: tree_sitter.Node) -> NameSet:
    position = _position_kind(node)
    if position == "new":
        return free("scope", site.partial, "the cursor names something new (definition, parameter, import)")
    members = evaluator.scope_names(site.pf, site.scope, exclude_start=site.byte)
    infos = {name: info for name, info in members.infos.items() if not name.startswith(PLACEHOLDER)}
    call, assign = shape_of(site.text, site.offset, site.word_end, "scope")
    names = rank_names(infos, RankContext(site.text, site.offset, "scope", site.partial, call, assign), _usage(evaluator))
    confidence, reason = HIGH, ""
    if not members.complete:
        confidence, reason = LOW, members.reason
    elif position == "statement":
        confidence, reason = LOW, "a statement may start by binding a new name"
    return NameSet(
        names=names,
        confidence=confidence,
        kind="scope",
        receiver=None,
        partial=site.partial,
        keywords=runtime.KEYWORDS,
        details={name: infos[name] for name in names},
        reason=reason,
    )


def _position_kind(node: tree_sitter.Node) -> str:
    """"new" (a name being introduced), "statement" (may become an assignment
    target), or "use" (must be an existing name)."""
    parent = node.parent
    if parent is None:
        return "statement"
    field = _NEW_NAME_PARENTS.get(parent.type)
    if field is not None:
        named = parent.child_by_field_name(field)
        if named is not None and named.id == node.id:
            return "new"
    if parent.type in _NEW_NAME_CONTAINERS:
        return "new"
    if parent.type in ("for_statement", "for_in_clause"):
        left = parent.child_by_field_name("left")
        if left is not None and left.id == node.id:
            return "new"
    if parent.type in ("assignment", "augmented_assignment"):
        left = parent.child_by_field_name("left")
        if left is not None and left.id == node.id:
            return "statement"
    if parent.type in ("expression_statement", "module", "block", "ERROR"):
        return "statement"
    return "use"


def _usage(evaluator: Evaluator) -> dict[str, int]:
    return evaluator.repo.index.reference_counts()
