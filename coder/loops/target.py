"""The function a loop rewrites: found and replaced through tree-sitter.

Only the definition's bytes change (decorators included); everything else in the file
stays byte-identical. A candidate from the model is checked before any test runs: it
must contain a definition of the same name, the file must still compile, and the
signature (name, parameters, return annotation, async or not) must be unchanged.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import tree_sitter

from coder.errors import CoderError
from coder.syntax.languages import grammar, new_parser


class TargetError(CoderError):
    title = "target"
    exit_code = 2


class CandidateRejected(Exception):
    """A candidate that cannot be tried; ``reason`` goes back to the model."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FunctionTarget:
    path: str  # relative to the repository root
    qualname: str  # "name", "Class.method", "outer.inner"
    start_byte: int  # of the definition, decorators included
    end_byte: int
    start_line: int  # 0-based
    end_line: int
    source: str  # the definition's text, decorators included
    signature: str  # normalized: what a candidate must keep
    header: str  # the signature as written, on one line (for messages)
    column: int  # the definition's indentation (bytes)
    # The signature without its annotations, and the header as written (from `def` or
    # `async` to its colon, continuation lines dedented by column): a candidate that
    # only dropped or changed annotations gets the original header back.
    bare_signature: str = ""
    header_source: str = ""

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    @property
    def spec(self) -> str:
        return f"{self.path}::{self.qualname}"


@lru_cache(maxsize=None)
def _query() -> tree_sitter.Query:
    source = resources.files("coder").joinpath("queries", "python-loop-targets.scm")
    return tree_sitter.Query(grammar("python"), source.read_text(encoding="utf-8"))


def _parse(data: bytes) -> tree_sitter.Tree:
    return new_parser("python").parse(data)


def _qualname(node: tree_sitter.Node, name: str) -> str:
    parts = [name]
    parent = node.parent
    while parent is not None:
        if parent.type in ("class_definition", "function_definition"):
            parts.append(parent.child_by_field_name("name").text.decode())
        parent = parent.parent
    return ".".join(reversed(parts))


def _signature(function: tree_sitter.Node) -> str:
    def squeeze(node) -> str:
        # Layout (line breaks, spaces, a trailing comma) is not part of the signature.
        return re.sub(r",\)$", ")", re.sub(r"\s+", "", node.text.decode())) if node is not None else ""

    is_async = any(child.type == "async" for child in function.children)
    return "|".join((
        "async" if is_async else "", function.child_by_field_name("name").text.decode(),
        squeeze(function.child_by_field_name("parameters")), squeeze(function.child_by_field_name("return_type")),
    ))


def _bare_signature(function: tree_sitter.Node) -> str:
    """The signature with the annotations left out: the names, their order, kinds and
    defaults, which is what a caller depends on."""
    def squeeze(node) -> str:
        return re.sub(r"\s+", "", node.text.decode())

    parts = []
    for parameter in function.child_by_field_name("parameters").named_children:
        if parameter.type == "comment":
            continue
        if parameter.type == "typed_parameter":
            parts.append(squeeze(parameter.named_children[0]))  # a name, *args or **kwargs
        elif parameter.type == "typed_default_parameter":
            parts.append(squeeze(parameter.child_by_field_name("name")) + "="
                         + squeeze(parameter.child_by_field_name("value")))
        else:
            parts.append(squeeze(parameter))
    is_async = any(child.type == "async" for child in function.children)
    return "|".join(("async" if is_async else "", function.child_by_field_name("name").text.decode(),
                     ",".join(parts)))


def _header_end(function: tree_sitter.Node) -> int:
    """The byte after the colon that ends the function's header."""
    body = function.child_by_field_name("body")
    colons = [child for child in function.children if child.type == ":" and child.end_byte <= body.start_byte]
    return colons[-1].end_byte


def _functions(tree: tree_sitter.Tree) -> list[tuple[str, tree_sitter.Node]]:
    captures = tree_sitter.QueryCursor(_query()).captures(tree.root_node)
    found = []
    for node in captures.get("function", []):
        found.append((_qualname(node, node.child_by_field_name("name").text.decode()), node))
    return sorted(found, key=lambda item: item[1].start_byte)


def _definition(node: tree_sitter.Node) -> tree_sitter.Node:
    """The function with its decorators, when it has any."""
    return node.parent if node.parent is not None and node.parent.type == "decorated_definition" else node


def _dedented(text: str, column: int) -> str:
    """Text cut from a definition at the given column (its first line starts there): the
    later lines lose that much indentation, or what they have when it is less."""
    lines = text.split("\n")
    return "\n".join(lines[:1] + [line[column:] if not line[:column].strip() else line.lstrip() for line in lines[1:]])


def _target(path: str, data: bytes, qualname: str, node: tree_sitter.Node) -> FunctionTarget:
    whole = _definition(node)
    line_start = data.rfind(b"\n", 0, whole.start_byte) + 1
    column = whole.start_byte - line_start
    header_source = _dedented(data[node.start_byte:_header_end(node)].decode("utf-8"), column)
    return FunctionTarget(
        path=path, qualname=qualname, start_byte=whole.start_byte, end_byte=whole.end_byte,
        start_line=whole.start_point[0], end_line=whole.end_point[0],
        source=data[whole.start_byte:whole.end_byte].decode("utf-8"), signature=_signature(node),
        header=_plain_signature_of(node),
        column=column, bare_signature=_bare_signature(node), header_source=header_source,
    )


def function_spec(target: FunctionTarget) -> tuple[str, bool]:
    """The target's decorators, header and docstring without its body (no docstring: the
    header alone), dedented, and whether it has a docstring: what the function is meant
    to do, for the model to write it anew when it keeps giving back the body it is shown."""
    data = _dedented(target.source, target.column).encode("utf-8")
    node = _functions(_parse(data))[0][1]  # the outermost: a nested function comes after it
    statements = [child for child in node.child_by_field_name("body").named_children if child.type != "comment"]
    first = statements[0] if statements else None
    if (first is not None and first.type == "expression_statement" and first.named_children
            and first.named_children[0].type == "string"):
        return data[:first.end_byte].decode("utf-8"), True
    return data[:_header_end(node)].decode("utf-8"), False


def function_names(text: str) -> list[str]:
    return [name for name, _ in _functions(_parse(text.encode("utf-8")))]


def find_function(path: str, text: str, qualname: str) -> FunctionTarget:
    """The definition named qualname ("f" or "Class.f"); a bare name may match a method."""
    data = text.encode("utf-8")
    functions = _functions(_parse(data))
    exact = [(name, node) for name, node in functions if name == qualname]
    matches = exact or [(name, node) for name, node in functions if name.rsplit(".", 1)[-1] == qualname]
    if not matches:
        known = ", ".join(name for name, _ in functions[:12]) or "none"
        raise TargetError(f"{path}: no function {qualname!r} (functions there: {known})")
    if len(matches) > 1 and not exact:
        names = ", ".join(name for name, _ in matches)
        raise TargetError(f"{path}: {qualname!r} is ambiguous ({names}); name it as Class.method")
    name, node = matches[0]
    return _target(path, data, name, node)


def function_at_line(path: str, text: str, line: int) -> FunctionTarget | None:
    """The innermost function whose definition holds the 0-based line."""
    data = text.encode("utf-8")
    inside = [(name, node) for name, node in _functions(_parse(data))
              if _definition(node).start_point[0] <= line <= node.end_point[0]]
    if not inside:
        return None
    name, node = max(inside, key=lambda item: item[1].start_byte)
    return _target(path, data, name, node)


def extract_code(reply: str) -> str:
    """The code in a model's reply: its fenced blocks (the one holding a def first), else all of it."""
    blocks = re.findall(r"```[\w+-]*[ \t]*\n(.*?)(?:```|\Z)", reply, flags=re.S)
    with_def = [b for b in blocks if re.search(r"^\s*(async\s+)?def\s", b, flags=re.M)]
    return (with_def or blocks or [reply])[0]


def candidate_definition(reply: str, target: FunctionTarget) -> str:
    """The new definition from a reply, indented for the target's place; or CandidateRejected."""
    code = textwrap.dedent(extract_code(reply)).strip("\n") + "\n"
    data = code.encode("utf-8")
    tree = _parse(data)
    same_name = [node for name, node in _functions(tree) if name.rsplit(".", 1)[-1] == target.name]
    if not same_name:
        if tree.root_node.has_error:
            raise CandidateRejected("the reply's code does not parse as Python, and no complete "
                                    f"definition of {target.name} was found in it")
        raise CandidateRejected(f"the reply has no definition of {target.name}")
    node = min(same_name, key=lambda n: n.start_point[1])  # the outermost (a method inside a class)
    whole = _definition(node)
    line_start = data.rfind(b"\n", 0, whole.start_byte) + 1
    if _signature(node) == target.signature:
        text = data[line_start:whole.end_byte].decode("utf-8")
    elif target.bare_signature and _bare_signature(node) == target.bare_signature:
        # Only the annotations differ (small models drop `List[float]` and `-> bool`):
        # the function keeps the header it has, the candidate gives the body.
        indent = " " * (node.start_byte - data.rfind(b"\n", 0, node.start_byte) - 1)
        header = target.header_source.replace("\n", "\n" + indent)
        text = (data[line_start:node.start_byte] + header.encode("utf-8")
                + data[_header_end(node):whole.end_byte]).decode("utf-8")
    else:
        raise CandidateRejected(
            f"the signature changed: it must stay `{target.header}`, "
            f"the candidate has `{_plain_signature_of(node)}`")
    text = textwrap.dedent(text).rstrip()
    indent = " " * target.column
    lines = text.split("\n")
    return "\n".join([lines[0]] + [indent + line if line.strip() else line for line in lines[1:]])


def _plain_signature_of(node: tree_sitter.Node) -> str:
    returns = node.child_by_field_name("return_type")
    head = f"def {node.child_by_field_name('name').text.decode()}{node.child_by_field_name('parameters').text.decode()}"
    return re.sub(r"\s+", " ", head + (f" -> {returns.text.decode()}" if returns is not None else ""))


def replace_function(text: str, target: FunctionTarget, definition: str) -> str:
    """The file's text with the target's definition replaced (the rest byte-identical),
    or CandidateRejected when the result is no longer valid Python."""
    data = text.encode("utf-8")
    new = data[:target.start_byte] + definition.encode("utf-8") + data[target.end_byte:]
    new_text = new.decode("utf-8")
    try:
        compile(new_text, target.path, "exec", dont_inherit=True)
    except SyntaxError as error:
        line = error.lineno - target.start_line if error.lineno else None
        where = f" (line {line} of the function)" if line and line > 0 else ""
        raise CandidateRejected(f"the new version does not compile: {error.msg}{where}") from None
    except ValueError as error:  # null bytes
        raise CandidateRejected(f"the new version does not compile: {error}") from None
    return new_text


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return tree


def same_code(before: str, after: str) -> bool:
    """Whether two versions of a file differ only in layout, comments or docstrings: a
    small model often gives the function back with a blank line dropped, and running
    the tests on it again would only repeat the last failure."""
    if before == after:
        return True
    try:
        return ast.dump(_without_docstrings(ast.parse(before))) == ast.dump(_without_docstrings(ast.parse(after)))
    except (SyntaxError, ValueError, RecursionError):  # a newer Python's syntax: the texts decide
        return False
