"""The names valid at a cursor in JavaScript / TypeScript / TSX source.

Same approach as the Python resolver: the word being typed is replaced by a
placeholder identifier, the file is parsed (cached per patched text), and the
receiver of ``X.`` is followed through the file and the repository.

A JS statement cannot introduce a name without ``let``/``const``/``var``/``function``
/``class``, so unlike Python a bare identifier at the start of a statement is a use.
"""

from __future__ import annotations

import re

import tree_sitter

from coder.grounding.js_file import JsFile, JsScope
from coder.grounding.js_globals import JS_KEYWORDS, TS_KEYWORDS
from coder.grounding.js_values import JsEvaluator, Members, Unknown, Value
from coder.grounding.syntax_tree import inside_node_of_type
from coder.grounding.names import HIGH, LOW, NameSet, free
from coder.grounding.ranking import RankContext, rank_names, shape_of
from coder.grounding.js_languages import JS_LANGUAGES  # noqa: F401 - re-exported
from coder.grounding.repo_view import RepoView

PLACEHOLDER = "__coder_cursor__"
_THIS_STATEMENT = re.compile(r"[ \t]*this\.#?$")
_TRAILING_CHAIN = re.compile(r"((?:[A-Za-z_$][\w$]*\s*\??\.\s*)*[A-Za-z_$][\w$]*)\s*\??$")
_IDENTIFIER_TYPES = ("identifier", "property_identifier", "private_property_identifier",
                     "type_identifier", "shorthand_property_identifier")

# (parent type, field) pairs where the identifier at the cursor introduces a name.
_NEW_NAME_FIELDS = {
    ("variable_declarator", "name"), ("function_declaration", "name"), ("class_declaration", "name"),
    ("method_definition", "name"), ("pair", "key"), ("import_specifier", "name"),
    ("import_specifier", "alias"), ("required_parameter", "pattern"), ("optional_parameter", "pattern"),
    ("field_definition", "property"), ("public_field_definition", "name"), ("assignment_pattern", "left"),
    ("arrow_function", "parameter"), ("catch_clause", "parameter"), ("interface_declaration", "name"),
    ("type_alias_declaration", "name"), ("enum_declaration", "name"), ("labeled_statement", "label"),
    ("property_signature", "name"), ("method_signature", "name"), ("generator_function_declaration", "name"),
}
_NEW_NAME_CONTAINERS = ("formal_parameters", "import_clause", "namespace_import", "object_pattern",
                        "array_pattern", "rest_pattern", "export_specifier", "enum_body")


class JsCursorSite:
    def __init__(self, repo: RepoView, path: str, text: str, offset: int, language: str):
        self.text = text
        self.offset = offset
        start = offset
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_$"):
            start -= 1
        if start > 0 and text[start - 1] == "#":  # this.#private
            start -= 1
        self.word_start = start
        self.partial = text[start:offset]
        word_end = offset
        while word_end < len(text) and (text[word_end].isalnum() or text[word_end] in "_$"):
            word_end += 1
        self.word_end = word_end
        prefix = "#" if self.partial.startswith("#") else ""  # this.#private
        patched = text[: self.word_start] + prefix + PLACEHOLDER + text[word_end:]
        self.jf: JsFile = repo.parsed(
            language + "-cursor", path, patched, lambda t, p, previous: JsFile(t, p, language, previous)
        )
        self.byte = len(text[: self.word_start].encode("utf-8"))
        end = self.byte + len(prefix) + len(PLACEHOLDER)
        node = self.jf.tree.root_node.named_descendant_for_byte_range(self.byte, end)
        ok = node is not None and node.type in _IDENTIFIER_TYPES and node.start_byte == self.byte
        self.node: tree_sitter.Node | None = node if ok else None
        self.scope: JsScope = self.jf.scope_at(self.byte)


def resolve_js(repo: RepoView, evaluator: JsEvaluator, path: str, text: str, offset: int, language: str) -> NameSet:
    site = JsCursorSite(repo, path, text, offset, language)
    partial = site.partial
    if partial[:1].isdigit():
        return free("scope", partial, "inside a number")
    before = text[: site.word_start]
    is_member = before.endswith(".") and not before.endswith("..")
    node = site.node
    if node is None:
        if inside_node_of_type(site.jf.tree, site.byte, ("string", "template_string", "comment", "regex", "jsx_text")):
            return free("member" if is_member else "scope", partial, "inside a string, comment or JSX text")
        if is_member:
            return _member_from_text(site, evaluator, before[:-1])
        return free("scope", partial, "not at an identifier (string, comment, JSX text or broken code)")
    parent = node.parent
    if parent is not None and parent.type == "member_expression":
        prop = parent.child_by_field_name("property")
        if prop is not None and prop.id == node.id:
            receiver = parent.child_by_field_name("object")
            value = evaluator.value(site.jf, site.scope, receiver, site.byte)
            return _member_set(site, evaluator, _text(receiver), value)
    if is_member:
        return _member_from_text(site, evaluator, before[:-1])
    if node.type != "identifier" or _introduces_name(node):
        return free("scope", partial, "the cursor names something new (declaration, parameter, key)")
    return _scope_set(site, evaluator, language)


def _text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8", "replace")


def _introduces_name(node: tree_sitter.Node) -> bool:
    parent = node.parent
    if parent is None:
        return False
    if parent.type in _NEW_NAME_CONTAINERS:
        return True
    for field_name in ("name", "key", "alias", "pattern", "property", "left", "parameter", "label"):
        if (parent.type, field_name) in _NEW_NAME_FIELDS:
            child = parent.child_by_field_name(field_name)
            if child is not None and child.id == node.id:
                return True
    return False


def _member_from_text(site: JsCursorSite, evaluator: JsEvaluator, before: str) -> NameSet:
    match = _TRAILING_CHAIN.search(before)
    if match is None:
        return free("member", site.partial, "receiver is not a plain name chain")
    chain = [part.strip(" ?") for part in re.split(r"\??\.", match.group(1))]
    if chain[0] == "this":
        value: Value = evaluator.this_value(site.jf, site.scope)
    else:
        value = evaluator.lookup(site.jf, site.scope, chain[0], site.byte)
    for part in chain[1:]:
        value = evaluator.member_value(value, part)
    return _member_set(site, evaluator, ".".join(chain), value)


def _member_set(site: JsCursorSite, evaluator: JsEvaluator, receiver: str, value: Value) -> NameSet:
    members: Members = evaluator.members(value)
    infos = {n: i for n, i in members.infos.items() if PLACEHOLDER not in n}
    complete = members.complete and not isinstance(value, Unknown)
    reason = "" if complete else (members.reason or "receiver not resolved")
    # `self.x` / `this.x` starting a statement may create the attribute by assigning it.
    assignable = _THIS_STATEMENT.match(site.text, site.text.rfind("\n", 0, site.word_start) + 1, site.word_start) is not None
    call, assign = shape_of(site.text, site.offset, site.word_end, "member")
    private_ok = receiver == "this" or receiver.startswith("this.")
    context = RankContext(site.text, site.offset, "member", site.partial, call, assign, private_ok)
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


def _scope_set(site: JsCursorSite, evaluator: JsEvaluator, language: str) -> NameSet:
    members = evaluator.scope_names(site.jf, site.scope, exclude_start=site.byte)
    infos = {n: i for n, i in members.infos.items() if PLACEHOLDER not in n}
    call, assign = shape_of(site.text, site.offset, site.word_end, "scope")
    names = rank_names(infos, RankContext(site.text, site.offset, "scope", site.partial, call, assign), _usage(evaluator))
    return NameSet(
        names=names,
        confidence=HIGH,
        kind="scope",
        receiver=None,
        partial=site.partial,
        keywords=JS_KEYWORDS if language == "javascript" else TS_KEYWORDS,
        details={name: infos[name] for name in names},
    )


def _usage(evaluator: JsEvaluator) -> dict[str, int]:
    return evaluator.repo.index.reference_counts()
