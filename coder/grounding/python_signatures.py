"""How a Python binding is shown to ranking and prompt hints: kind and call shape.

``binding_info`` turns a binding into a NameInfo: a ``def`` inside a class is a
method (a ``@property`` a property), a class shows its ``__init__`` parameters, and
the call shape drops ``self``/``cls``, annotations and defaults: ``read(n)``.
"""

from __future__ import annotations

import tree_sitter

from coder.grounding.names import NameInfo
from coder.grounding.python_file import Binding


def _text(node: tree_sitter.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""


def binding_info(binding: Binding, origin: str, in_class: bool = False) -> NameInfo:
    kind = binding.kind
    if kind == "function":
        scope_kind = "method" if in_class else "function"
        decorators = _decorators_of(binding)
        if "property" in decorators or "cached_property" in decorators:
            return NameInfo(binding.name, "property", "", origin)
        shape = _call_shape(binding, skip_first=in_class and "staticmethod" not in decorators)
        return NameInfo(binding.name, scope_kind, shape, origin)
    if kind == "class":
        return NameInfo(binding.name, "class", _call_shape(binding, skip_first=True, init=True), origin)
    if kind == "import":
        kind = "module" if binding.attr is None else "import"
        return NameInfo(binding.name, kind, "", "import" if origin != "member" else origin)
    if kind == "param":
        return NameInfo(binding.name, "parameter", "", origin)
    return NameInfo(binding.name, "field" if in_class else "variable", "", origin)


def _decorators_of(binding: Binding) -> list[str]:
    parent = binding.definition.parent if binding.definition is not None else None
    if parent is None or parent.type != "decorated_definition":
        return []
    return [_text(c).lstrip("@").split("(", 1)[0].rsplit(".", 1)[-1] for c in parent.named_children if c.type == "decorator"]


def _call_shape(binding: Binding, skip_first: bool, init: bool = False) -> str:
    """``name(a, b)`` from a def (or a class's __init__), without annotations/defaults."""
    node = binding.definition
    if init:
        node = _init_of(node)
        if node is None:
            return f"{binding.name}()"
    params = node.child_by_field_name("parameters") if node is not None else None
    if params is None:
        return ""
    names = []
    for child in params.named_children:
        if child.type == "identifier":
            names.append(_text(child))
        elif child.type in ("typed_parameter",):
            first = child.named_children[0]
            names.append(_text(first) if first.type == "identifier" else _text(first).split(":")[0])
        elif child.type in ("default_parameter", "typed_default_parameter"):
            names.append(_text(child.child_by_field_name("name")))
        elif child.type in ("list_splat_pattern", "dictionary_splat_pattern"):
            names.append(_text(child))
        elif child.type == "keyword_separator":
            names.append("*")
    if skip_first and names:
        names = names[1:]
    return f"{binding.name}({', '.join(names)})"


def _init_of(class_node: tree_sitter.Node) -> tree_sitter.Node | None:
    body = class_node.child_by_field_name("body")
    if body is None:
        return None
    for child in body.named_children:
        node = child.child_by_field_name("definition") if child.type == "decorated_definition" else child
        if node is not None and node.type == "function_definition" and _text(node.child_by_field_name("name")) == "__init__":
            return node
    return None
