"""Checks that need no model and are never wrong in the cases they report.

- ``syntax``: a changed line that no longer parses (tree-sitter ERROR or MISSING
  node on it). Errors only on unchanged lines were there before and are not blamed.
- ``undefined-name``: a call, on a changed line, of a bare name bound nowhere: not in
  the scopes at that point, not a builtin, not defined anywhere in the repository
  index (the staged versions of the changed files included). Python and
  JavaScript/TypeScript, through coder.grounding's resolver; a file with a star
  import or dynamic names is not judged.
"""

from __future__ import annotations

import tree_sitter

from coder.review.changes import FileChange
from coder.review.findings import Finding
from coder.syntax.languages import new_parser


def syntax_findings(change: FileChange, tree: tree_sitter.Tree | None = None) -> list[Finding]:
    """One finding per changed line that holds a parse error, at its first error."""
    if tree is None:
        parser = new_parser(change.language)
        if parser is None:
            return []
        tree = parser.parse(change.text.encode("utf-8"))
    if not tree.root_node.has_error:
        return []
    changed = change.changed_lines
    lines = change.text.split("\n")
    found: dict[int, Finding] = {}
    for node in _error_nodes(tree.root_node):
        row = node.start_point.row
        line = row + 1
        if node.is_missing:
            what = f"missing {node.type!r}" if node.type.strip() else "something is missing"
        else:
            what = "this does not parse"
        if line in changed and line not in found:
            column = len(lines[row].encode("utf-8")[: node.start_point.column].decode("utf-8", "replace")) + 1
            found[line] = Finding(change.path, line, "error", f"syntax error: {what}", column=column,
                                  source="syntax", quote=lines[row].strip())
    return [found[line] for line in sorted(found)]


def _error_nodes(root: tree_sitter.Node):
    """ERROR and MISSING nodes, descending only into subtrees that hold one."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            yield node
            if node.is_missing:
                continue
        stack.extend(child for child in reversed(node.children) if child.has_error or child.is_missing)


def undefined_name_findings(change: FileChange, index) -> list[Finding]:
    """Calls of names bound nowhere, on changed lines (Python, JavaScript, TypeScript)."""
    from coder.grounding.js_languages import JS_LANGUAGES

    language = change.language
    if index is None or (language != "python" and language not in JS_LANGUAGES):
        return []
    from coder.grounding.resolver import grounding_for

    grounding = grounding_for(index)
    with grounding.lock:
        if language == "python":
            return _python_undefined(change, index, grounding)
        return _js_undefined(change, index, grounding, language)


def _changed_calls(tree: tree_sitter.Tree, change: FileChange, call_types: dict[str, str]):
    """(call node, callee identifier) of each call that starts on a changed line."""
    from coder.grounding.syntax_tree import nodes_in_range

    changed = change.changed_lines
    for node in nodes_in_range(tree, 0, len(change.text.encode("utf-8")) + 1, tuple(call_types)):
        callee = node.child_by_field_name(call_types[node.type])
        if callee is None or callee.type != "identifier" or callee.start_point.row + 1 not in changed:
            continue
        if node.has_error:
            continue  # the syntax check speaks for broken code
        yield node, callee


def _finding(change: FileChange, callee: tree_sitter.Node, name: str) -> Finding:
    row = callee.start_point.row
    line_text = change.line(row + 1)
    column = len(line_text.encode("utf-8")[: callee.start_point.column].decode("utf-8", "replace")) + 1
    return Finding(change.path, row + 1, "error", f"{name}() is not defined anywhere", column=column,
                   source="undefined-name", quote=line_text.strip())


def _python_undefined(change: FileChange, index, grounding) -> list[Finding]:
    from coder.grounding.python_file import PythonFile

    pf = grounding.repo.parsed("review-check", change.path, change.text, PythonFile)
    if pf.tree.root_node.has_error:
        return []  # scopes of broken code are guesses
    findings = []
    for node, callee in _changed_calls(pf.tree, change, {"call": "function"}):
        name = callee.text.decode("utf-8", "replace")
        known = grounding.python.scope_names(pf, pf.scope_at(callee.start_byte))
        if known.complete and name not in known.infos and not index.definitions(name):
            findings.append(_finding(change, callee, name))
    return findings


def _js_undefined(change: FileChange, index, grounding, language: str) -> list[Finding]:
    from coder.grounding.js_file import JsFile

    jf = grounding.repo.parsed(language + "-review-check", change.path, change.text,
                               lambda text, path, previous: JsFile(text, path, language, previous))
    if jf.tree.root_node.has_error:
        return []
    findings = []
    calls = {"call_expression": "function", "new_expression": "constructor"}
    for node, callee in _changed_calls(jf.tree, change, calls):
        name = callee.text.decode("utf-8", "replace")
        known = grounding.js.scope_names(jf, jf.scope_at(callee.start_byte), exclude_start=None)
        if known.complete and name not in known.infos and not index.definitions(name):
            findings.append(_finding(change, callee, name))
    return findings
