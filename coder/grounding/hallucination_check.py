"""Does a suggestion use names that do not exist? Only what the resolver KNOWS.

The suggestion is parsed in place (prefix + suggestion + suffix) and three things
are judged:

1. the member written right after the cursor's ``X.``, against the NameSet the
   engine resolved for the cursor (only when that set is high confidence);
2. further ``obj.attr`` uses inside the suggestion whose receiver resolves to a
   complete member list (a repo class with known bases, a repo module, a builtin or
   standard-library type); assignment targets (``obj.new = 1``) are never flagged;
3. bare calls ``name(...)`` (and JS ``new Name()``) of names bound nowhere: not in
   the scopes at that point (the suggestion's own definitions included), not a
   builtin/global, not defined anywhere in the repository index.

Anything unknown (unresolved receiver, star import, dynamic attributes, another
language) is not flagged: a false alarm would throw away a good suggestion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter

from coder.grounding.js_languages import JS_LANGUAGES
from coder.grounding.name_grammar import identifier_boundary
from coder.grounding.names import NameSet
from coder.grounding.python_file import PythonFile
from coder.grounding.python_values import Unknown as PyUnknown
from coder.grounding.resolver import char_offset, grounding_for, relative_path
from coder.grounding.syntax_tree import nodes_in_range


@dataclass(frozen=True)
class CheckResult:
    valid: bool
    invalid_names: list[str]
    reasons: list[str] = field(default_factory=list)  # one line per invalid name


def check_suggestion(
    suggestion: str,
    *,
    names_context: NameSet,
    index,
    path: str,
    text: str,
    line: int,
    col: int,
    language: str,
) -> CheckResult:
    """Judge ``suggestion`` (text to insert at (line, col) of ``text``)."""
    if not suggestion.strip():
        return CheckResult(True, [])
    offset = char_offset(text, line, col)
    findings: list[tuple[str, str]] = []
    first = _first_member_finding(suggestion, names_context, language)
    if first is not None:
        findings.append(first)
    if not _may_use_other_names(suggestion, names_context):
        return CheckResult(not findings, [n for n, _ in findings], [r for _, r in findings])
    with grounding_for(index).lock:
        if language == "python":
            findings += _python_findings(suggestion, index, path, text, offset, names_context)
        elif language in JS_LANGUAGES:
            findings += _js_findings(suggestion, index, path, text, offset, names_context, language)
    names, reasons = [], []
    for name, reason in findings:
        if name not in names:
            names.append(name)
            reasons.append(reason)
    return CheckResult(not names, names, reasons)


# What the parse-based checks look at: a member access, or a call of a bare name.
_MEMBER_ACCESS = re.compile(r"\.\s*[A-Za-z_$]")
_BARE_CALL = re.compile(r"(?<![\w$.])[A-Za-z_$][\w$]*\s*\(")


def _may_use_other_names(suggestion: str, context: NameSet) -> bool:
    """Whether the suggestion has anything past its first member the parse-based
    checks could flag; most (``name()``, ``total + 1``) do not, and parsing the whole
    file again costs milliseconds per keystroke."""
    if _MEMBER_ACCESS.search(suggestion):
        return True
    calls = list(_BARE_CALL.finditer(suggestion))
    if context.kind == "member" and calls and calls[0].start() == len(suggestion) - len(suggestion.lstrip()):
        calls = calls[1:]  # `x.name(` : the first member's own call, judged above
    return bool(calls)


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _first_member_finding(suggestion: str, context: NameSet, language: str) -> tuple[str, str] | None:
    if context.kind != "member" or not context.is_high:
        return None
    boundary = identifier_boundary(language)
    end = boundary.first_identifier_end(suggestion)
    word = context.partial + suggestion[: len(suggestion) if end is None else end]
    if not word or _is_dunder(word):
        return None
    rest = suggestion[end:].lstrip(" \t") if end is not None else ""
    if rest.startswith("=") and not rest.startswith("=="):
        return None  # `obj.new_name = ...` creates the attribute: valid
    if end is None:  # the output stops inside the name: it must at least be a prefix
        if any(name.startswith(word) for name in context.names):
            return None
    elif word in context.names:
        return None
    label = context.receiver_label or context.receiver
    return word, f"{label} has no member {word!r}"


# -- Python --------------------------------------------------------------------------


def _python_findings(suggestion, index, path, text, offset, context: NameSet) -> list[tuple[str, str]]:
    grounding = grounding_for(index)
    path = relative_path(index, path)
    combined = text[:offset] + suggestion + text[offset:]
    pf: PythonFile = grounding.repo.parsed("python-check", path, combined, PythonFile)
    evaluator = grounding.python
    start = len(text[:offset].encode("utf-8"))
    end = start + len(suggestion.encode("utf-8"))
    first_member_start = start - len(context.partial.encode("utf-8"))
    findings = []
    for node in nodes_in_range(pf.tree, start, end, ("attribute", "call")):
        if node.type == "attribute":
            attribute = node.child_by_field_name("attribute")
            receiver = node.child_by_field_name("object")
            if attribute is None or receiver is None or not (start <= attribute.start_byte < end):
                continue
            if attribute.start_byte == first_member_start and context.kind == "member":
                continue  # judged against the cursor's NameSet
            name = attribute.text.decode("utf-8", "replace")
            if _is_dunder(name) or _is_assignment_target(node, ("assignment", "augmented_assignment")):
                continue
            scope = pf.scope_at(node.start_byte)
            value = evaluator.value(pf, scope, receiver, node.start_byte)
            if isinstance(value, PyUnknown):
                continue
            members = evaluator.members(value)
            if members.complete and _is_missing(name, members.infos, cut=attribute.end_byte >= end):
                label = members.label or receiver.text.decode("utf-8", "replace")
                findings.append((name, f"{label} has no member {name!r}"))
        else:
            function = node.child_by_field_name("function")
            if function is None or function.type != "identifier" or not (start <= function.start_byte < end):
                continue
            name = function.text.decode("utf-8", "replace")
            scope = pf.scope_at(function.start_byte)
            known = evaluator.scope_names(pf, scope)
            if not known.complete or name in known.infos or _defined_in_index(index, name):
                continue
            findings.append((name, f"{name}() is not defined anywhere"))
    return findings


# -- JavaScript / TypeScript -----------------------------------------------------------


def _js_findings(suggestion, index, path, text, offset, context: NameSet, language) -> list[tuple[str, str]]:
    from coder.grounding.js_file import JsFile
    from coder.grounding.js_values import Unknown as JsUnknown

    grounding = grounding_for(index)
    path = relative_path(index, path)
    combined = text[:offset] + suggestion + text[offset:]
    jf = grounding.repo.parsed(language + "-check", path, combined, lambda t, p, previous: JsFile(t, p, language, previous))
    evaluator = grounding.js
    start = len(text[:offset].encode("utf-8"))
    end = start + len(suggestion.encode("utf-8"))
    first_member_start = start - len(context.partial.encode("utf-8"))
    findings = []
    for node in nodes_in_range(jf.tree, start, end, ("member_expression", "call_expression", "new_expression")):
        if node.type == "member_expression":
            prop = node.child_by_field_name("property")
            receiver = node.child_by_field_name("object")
            if prop is None or receiver is None or not (start <= prop.start_byte < end):
                continue
            if prop.start_byte == first_member_start and context.kind == "member":
                continue
            name = prop.text.decode("utf-8", "replace")
            if _is_assignment_target(node, ("assignment_expression", "augmented_assignment_expression")):
                continue
            scope = jf.scope_at(node.start_byte)
            value = evaluator.value(jf, scope, receiver, node.start_byte)
            if isinstance(value, JsUnknown):
                continue
            members = evaluator.members(value)
            if members.complete and _is_missing(name, members.infos, cut=prop.end_byte >= end):
                label = members.label or receiver.text.decode("utf-8", "replace")
                findings.append((name, f"{label} has no member {name!r}"))
        else:
            field_name = "function" if node.type == "call_expression" else "constructor"
            function = node.child_by_field_name(field_name)
            if function is None or function.type != "identifier" or not (start <= function.start_byte < end):
                continue
            name = function.text.decode("utf-8", "replace")
            scope = jf.scope_at(function.start_byte)
            known = evaluator.scope_names(jf, scope, exclude_start=None)
            if name in known.infos or _defined_in_index(index, name):
                continue
            findings.append((name, f"{name}() is not defined anywhere"))
    return findings


# -- shared ----------------------------------------------------------------------------


def _is_assignment_target(node: tree_sitter.Node, assignment_types: tuple[str, ...]) -> bool:
    parent = node.parent
    while parent is not None and parent.type in ("pattern_list", "tuple_pattern", "list_pattern"):
        node, parent = parent, parent.parent
    if parent is None:
        return False
    if parent.type == "delete_statement" or parent.type == "unary_expression" and parent.children[0].type == "delete":
        return True
    if parent.type not in assignment_types:
        return False
    left = parent.child_by_field_name("left")
    return left is not None and left.id == node.id


def _is_missing(name: str, members, *, cut: bool) -> bool:
    """A member name the receiver lacks. When the suggestion ends inside the name
    (generation stopped at its token limit), it only has to start a member."""
    if name in members:
        return False
    return not cut or not any(member.startswith(name) for member in members)


def _defined_in_index(index, name: str) -> bool:
    return index is not None and bool(index.definitions(name))
