"""One JavaScript/TypeScript file's scopes, bindings, classes, interfaces and exports.

Built once per file version from the grounding query. ``let``/``const`` are treated
as function-scoped: a name from a sibling block is then offered too, which is
lenient (never forbids a valid name) and keeps the model small.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import tree_sitter

from coder.grounding import incremental
from coder.grounding.queries import grounding_query
from coder.syntax.languages import new_parser

_SCOPE_KINDS = ("function", "arrow", "method", "class")


def _text(node: tree_sitter.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""


def _string_value(node: tree_sitter.Node | None) -> str | None:
    if node is None or node.type != "string":
        return None
    return _text(node)[1:-1]


@dataclass(eq=False)
class JsBinding:
    name: str
    # variable | function | class | interface | alias | enum | namespace | param
    # | catch | loop | import
    kind: str
    start: int
    line: int
    node: tree_sitter.Node | None = None  # the declaring node (declarator, class, function)
    value: tree_sitter.Node | None = None  # initializer / default value
    annotation: tree_sitter.Node | None = None  # TS type_annotation
    property: str | None = None  # destructured `{name}`: the property read from value
    module: str | None = None  # imports: the specifier ("./reader")
    imported: str | None = None  # imports: "default", "*" (namespace) or the export name
    scope: "JsScope | None" = None


@dataclass(eq=False)
class JsMember:
    name: str
    kind: str  # method | property | field
    static: bool
    node: tree_sitter.Node  # the member's node (method_definition, field, assignment ...)
    value: tree_sitter.Node | None = None
    annotation: tree_sitter.Node | None = None
    signature: str = ""
    scope: "JsScope | None" = None  # where value is evaluated


@dataclass(eq=False)
class JsClass:
    name: str
    node: tree_sitter.Node
    scope: "JsScope"
    heritage: tree_sitter.Node | None = None  # the `extends` expression
    members: dict[str, JsMember] = field(default_factory=dict)
    dynamic: bool = False


@dataclass(eq=False)
class JsInterface:
    name: str
    node: tree_sitter.Node
    extends: list[tree_sitter.Node] = field(default_factory=list)
    members: dict[str, JsMember] = field(default_factory=dict)
    dynamic: bool = False


@dataclass(eq=False)
class JsExport:
    local: str | None = None  # a module-level name of this file
    node: tree_sitter.Node | None = None  # an expression or declaration
    module: str | None = None  # re-exported from this specifier
    imported: str | None = None  # ... under this name ("*" for a namespace)


@dataclass(eq=False)
class JsScope:
    kind: str  # module | function | arrow | method | class
    node: tree_sitter.Node | None
    start: int
    end: int
    parent: "JsScope | None" = None
    bindings: dict[str, list[JsBinding]] = field(default_factory=dict)
    static: bool = False  # methods
    cls: JsClass | None = None  # class scopes

    def bind(self, binding: JsBinding) -> None:
        binding.scope = self
        self.bindings.setdefault(binding.name, []).append(binding)


class JsFile:
    def __init__(self, text: str, path: str = "", language: str = "javascript", previous: "JsFile | None" = None):
        self.text = text
        self.path = path
        self.language = language
        self.source = text.encode("utf-8")
        reusable = previous is not None and previous.language == language
        old_source, old_tree = (previous.source, previous.tree) if reusable else (None, None)
        self.tree = incremental.parse(new_parser(language), self.source, old_source, old_tree)
        self.module = JsScope("module", None, 0, len(self.source) + 1)
        self._scopes: dict[int, JsScope] = {}  # by scope node id
        self._ordered: list[JsScope] = []  # by start, outer before inner
        self._starts: list[int] = []
        self.classes: dict[int, JsClass] = {}  # by class node id
        self.interfaces: dict[str, list[JsInterface]] = {}
        self.exports: dict[str, JsExport] = {}
        self.star_exports: list[str] = []
        self.cjs_whole: tree_sitter.Node | None = None  # module.exports = <this>
        self.has_exports = False
        self._build()

    # -- lookups -----------------------------------------------------------------

    def scope_of_node(self, node: tree_sitter.Node) -> JsScope:
        """The scope a node lives in: for a scope-opening node, the one around it."""
        own = self._scopes.get(node.id)
        if own is not None:
            return own.parent or self.module
        return self.scope_around(node.start_byte)

    def scope_around(self, offset: int) -> JsScope:
        """The innermost scope containing a byte offset (see PythonFile.scope_around)."""
        index = bisect.bisect_right(self._starts, offset) - 1
        scope = self._ordered[index] if index >= 0 else self.module
        while scope.parent is not None and not (scope.start <= offset < scope.end):
            scope = scope.parent
        return scope

    def scope_at(self, offset: int) -> JsScope:
        return self.scope_around(offset)

    def class_for(self, node: tree_sitter.Node) -> JsClass | None:
        return self.classes.get(node.id)

    # -- building ----------------------------------------------------------------------

    def _build(self) -> None:
        captures = tree_sitter.QueryCursor(grounding_query(self.language)).captures(self.tree.root_node)
        scope_nodes = []
        for name, nodes in captures.items():
            if name.startswith("scope."):
                scope_nodes += [(node, name[6:]) for node in nodes]
        scope_nodes.sort(key=lambda item: (item[0].start_byte, -item[0].end_byte))
        for node, kind in scope_nodes:
            scope = JsScope(kind, node, node.start_byte, node.end_byte)
            scope.parent = self.scope_around(node.start_byte)  # among the scopes so far
            scope.static = kind == "method" and any(c.type == "static" for c in node.children)
            self._scopes[node.id] = scope
            self._ordered.append(scope)
            self._starts.append(scope.start)
        for node, kind in scope_nodes:
            if kind == "class":
                self._add_class(node, self._scopes[node.id])

        for name, nodes in captures.items():
            if name.startswith("bind."):
                for node in nodes:
                    self._add_binding(name[5:], node)
            elif name.startswith("dynamic."):
                for node in nodes:
                    cls = self._class_of_this(node)
                    if cls is not None:
                        cls.dynamic = True
        for node in captures.get("params", ()):
            self._add_params(node)
        for node in captures.get("import", ()):
            self._add_import(node)
        for node in captures.get("export", ()):
            self._add_export(node)
        for node in captures.get("cjs.name", ()):
            self._add_cjs_export(node)
        for node in captures.get("this.field", ()):
            self._add_this_field(node)
        for interfaces in self.interfaces.values():
            for interface in interfaces:
                self._read_interface(interface)

    def _add_binding(self, kind: str, node: tree_sitter.Node) -> None:
        parent = node.parent
        if kind == "variable":
            scope = self.scope_of_node(parent)
            value = parent.child_by_field_name("value")
            annotation = parent.child_by_field_name("type")
            require = _require_specifier(value)
            for target, prop in _pattern_names(node):
                binding = JsBinding(
                    _text(target), "variable", target.start_byte, target.start_point[0], parent, value, annotation
                )
                if prop is not None:
                    binding.property = prop
                    binding.annotation = None
                if require is not None:
                    binding.kind, binding.module = "import", require
                    binding.imported = prop if prop is not None else "*"
                scope.bind(binding)
            return
        if kind in ("function", "class", "interface", "alias", "enum", "namespace"):
            scope = self.scope_of_node(parent)
            binding = JsBinding(_text(node), kind, node.start_byte, node.start_point[0], parent)
            if kind == "alias":
                binding.value = parent.child_by_field_name("value")
            if kind == "interface":
                self.interfaces.setdefault(binding.name, []).append(JsInterface(binding.name, parent))
            scope.bind(binding)
            return
        scope = self.scope_of_node(node)
        for target, prop in _pattern_names(node):
            scope.bind(JsBinding(_text(target), kind, target.start_byte, target.start_point[0], parent, property=prop))

    def _add_params(self, params: tree_sitter.Node) -> None:
        scope = self._scopes.get(params.parent.id) if params.parent is not None else None
        if scope is None:
            return
        for child in params.named_children:
            annotation = value = None
            pattern = child
            if child.type in ("required_parameter", "optional_parameter"):
                pattern = child.child_by_field_name("pattern")
                annotation = child.child_by_field_name("type")
                value = child.child_by_field_name("value")
                if scope.kind == "method" and _is_parameter_property(child) and pattern is not None:
                    self._add_parameter_property(scope, pattern, annotation, child)
            elif child.type == "assignment_pattern":
                pattern = child.child_by_field_name("left")
                value = child.child_by_field_name("right")
            if pattern is None:
                continue
            for target, prop in _pattern_names(pattern):
                binding = JsBinding(
                    _text(target), "param", target.start_byte, target.start_point[0], child, value, annotation
                )
                if prop is not None:
                    binding.property, binding.annotation, binding.value = prop, None, None
                scope.bind(binding)

    def _add_parameter_property(self, scope: JsScope, pattern, annotation, node) -> None:
        """TS `constructor(private svc: Service)` declares an instance field."""
        cls = scope.parent.cls if scope.parent is not None else None
        if cls is not None and pattern.type == "identifier":
            name = _text(pattern)
            cls.members.setdefault(name, JsMember(name, "field", False, node, None, annotation, "", scope))

    def _add_class(self, node: tree_sitter.Node, scope: JsScope) -> None:
        cls = JsClass(_text(node.child_by_field_name("name")), node, scope)
        scope.cls = cls
        self.classes[node.id] = cls
        for child in node.children:
            if child.type == "class_heritage":
                extends = next((c for c in child.named_children if c.type == "extends_clause"), None)
                if extends is not None:  # TypeScript: extends_clause value
                    cls.heritage = extends.child_by_field_name("value")
                elif child.named_children and child.named_children[0].type != "implements_clause":
                    cls.heritage = child.named_children[0]
        body = node.child_by_field_name("body")
        if body is None:
            return
        for member in body.named_children:
            static = any(c.type == "static" for c in member.children)
            if member.type == "method_definition":
                name_node = member.child_by_field_name("name")
                if name_node is None or name_node.type == "computed_property_name":
                    cls.dynamic = cls.dynamic or name_node is not None
                    continue
                name = _text(name_node)
                if name == "constructor":
                    continue
                accessor = any(c.type in ("get", "set") for c in member.children)
                kind = "property" if accessor else "method"
                signature = "" if accessor else call_shape(name, member)
                method_scope = self._scopes.get(member.id)
                cls.members.setdefault(name, JsMember(name, kind, static, member, signature=signature, scope=method_scope))
            elif member.type in ("field_definition", "public_field_definition"):
                name_node = member.child_by_field_name("property") or member.child_by_field_name("name")
                if name_node is None or name_node.type == "computed_property_name":
                    cls.dynamic = True
                    continue
                name = _text(name_node)
                cls.members.setdefault(name, JsMember(
                    name, "field", static, member, member.child_by_field_name("value"),
                    member.child_by_field_name("type"), "", scope,
                ))
            elif member.type in ("abstract_method_signature", "method_signature"):
                name = _text(member.child_by_field_name("name"))
                cls.members.setdefault(name, JsMember(name, "method", static, member, signature=call_shape(name, member)))
            elif member.type == "index_signature":
                cls.dynamic = True

    def _class_of_this(self, node: tree_sitter.Node) -> JsClass | None:
        """The class whose instance `this` is at ``node`` (through arrow functions)."""
        scope: JsScope | None = self.scope_of_node(node)
        while scope is not None and scope.kind == "arrow":
            scope = scope.parent
        if scope is None:
            return None
        if scope.kind == "class":
            return scope.cls
        if scope.kind == "method" and scope.parent is not None and scope.parent.kind == "class":
            return scope.parent.cls
        return None

    def _add_this_field(self, name_node: tree_sitter.Node) -> None:
        cls = self._class_of_this(name_node)
        if cls is None:
            return
        assignment = name_node.parent.parent
        name = _text(name_node)
        method_scope = self.scope_of_node(name_node)
        cls.members.setdefault(name, JsMember(
            name, "field", False, assignment, assignment.child_by_field_name("right"), None, "", method_scope,
        ))

    def _add_import(self, node: tree_sitter.Node) -> None:
        specifier = _string_value(node.child_by_field_name("source"))
        clause = next((c for c in node.named_children if c.type == "import_clause"), None)
        if specifier is None or clause is None:
            return
        for child in clause.named_children:
            if child.type == "identifier":
                self._bind_import(child, specifier, "default")
            elif child.type == "namespace_import":
                target = next((c for c in child.named_children if c.type == "identifier"), None)
                if target is not None:
                    self._bind_import(target, specifier, "*")
            elif child.type == "named_imports":
                for spec in child.named_children:
                    if spec.type != "import_specifier":
                        continue
                    name = spec.child_by_field_name("name")
                    alias = spec.child_by_field_name("alias") or name
                    self._bind_import(alias, specifier, _text(name).strip("'\""))

    def _bind_import(self, target: tree_sitter.Node, specifier: str, imported: str) -> None:
        self.module.bind(JsBinding(_text(target), "import", target.start_byte, target.start_point[0],
                                   target, module=specifier, imported=imported))

    def _add_export(self, node: tree_sitter.Node) -> None:
        self.has_exports = True
        source = _string_value(node.child_by_field_name("source"))
        is_default = any(c.type == "default" for c in node.children)
        declaration = node.child_by_field_name("declaration")
        value = node.child_by_field_name("value")
        if is_default:
            self.exports["default"] = JsExport(node=declaration or value)
            return
        if declaration is not None:
            for name in _declared_names(declaration):
                self.exports[name] = JsExport(local=name)
            return
        clause = next((c for c in node.named_children if c.type == "export_clause"), None)
        if clause is not None:
            for spec in clause.named_children:
                if spec.type != "export_specifier":
                    continue
                name = _text(spec.child_by_field_name("name"))
                alias = _text(spec.child_by_field_name("alias")) or name
                if source is not None:
                    self.exports[alias] = JsExport(module=source, imported=name)
                else:
                    self.exports[alias] = JsExport(local=name)
            return
        namespace = next((c for c in node.named_children if c.type == "namespace_export"), None)
        if namespace is not None and source is not None:
            alias = next((c for c in namespace.named_children if c.type in ("identifier", "string")), None)
            self.exports[_text(alias).strip("'\"")] = JsExport(module=source, imported="*")
        elif source is not None:
            self.star_exports.append(source)

    def _add_cjs_export(self, name_node: tree_sitter.Node) -> None:
        """`module.exports = ...`, `module.exports.x = ...`, `exports.x = ...`."""
        member = name_node.parent
        value_node = member.parent.child_by_field_name("right")
        receiver = member.child_by_field_name("object")
        if value_node is None or receiver is None:
            return
        self.has_exports = True
        name = _text(name_node)
        if _text(receiver) == "module" and name == "exports":
            # module.exports = { a, b: c } / module.exports = Thing
            self.cjs_whole = value_node
            if value_node.type == "object":
                for child in value_node.named_children:
                    if child.type == "shorthand_property_identifier":
                        self.exports[_text(child)] = JsExport(local=_text(child))
                    elif child.type in ("pair", "method_definition"):
                        key = child.child_by_field_name("key") or child.child_by_field_name("name")
                        self.exports[_text(key).strip("'\"")] = JsExport(node=child.child_by_field_name("value") or child)
                self.cjs_whole = None
            return
        self.exports[name] = JsExport(node=value_node)

    def _read_interface(self, interface: JsInterface) -> None:
        node = interface.node
        for child in node.named_children:
            if child.type == "extends_type_clause":
                interface.extends += child.children_by_field_name("type") or [c for c in child.named_children]
        body = node.child_by_field_name("body")
        if body is None:
            return
        for member in body.named_children:
            if member.type in ("property_signature", "method_signature"):
                name = _text(member.child_by_field_name("name"))
                kind = "method" if member.type == "method_signature" else "field"
                interface.members.setdefault(name, JsMember(
                    name, kind, False, member, None, member.child_by_field_name("type"),
                    call_shape(name, member) if kind == "method" else "",
                ))
            elif member.type in ("index_signature", "call_signature", "construct_signature"):
                interface.dynamic = interface.dynamic or member.type == "index_signature"


def _is_parameter_property(node: tree_sitter.Node) -> bool:
    return any(c.type in ("accessibility_modifier", "readonly", "override_modifier") for c in node.children)


def _require_specifier(value: tree_sitter.Node | None) -> str | None:
    """`require("./x")` -> "./x"."""
    if value is None or value.type != "call_expression":
        return None
    function = value.child_by_field_name("function")
    if _text(function) != "require":
        return None
    arguments = value.child_by_field_name("arguments")
    first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
    return _string_value(first)


def _pattern_names(node: tree_sitter.Node) -> list[tuple[tree_sitter.Node, str | None]]:
    """Identifiers a binding pattern binds, each with the property it reads when
    destructured from an object (`{a, b: c}` -> (a, "a"), (c, "b"))."""
    kind = node.type
    if kind in ("identifier", "shorthand_property_identifier_pattern"):
        return [(node, None if kind == "identifier" else node.text.decode())]
    if kind == "pair_pattern":
        key = node.child_by_field_name("key")
        value = node.child_by_field_name("value")
        inner = _pattern_names(value) if value is not None else []
        if len(inner) == 1 and inner[0][0].type == "identifier" and value.type == "identifier":
            return [(inner[0][0], _text(key))]
        return [(n, None) for n, _ in inner]
    if kind in ("assignment_pattern", "object_assignment_pattern"):
        left = node.child_by_field_name("left")
        return _pattern_names(left) if left is not None else []
    if kind in ("object_pattern", "array_pattern", "rest_pattern"):
        names = []
        for child in node.named_children:
            inner = _pattern_names(child)
            names += inner if kind == "object_pattern" else [(n, None) for n, _ in inner]
        return names
    return []


def _declared_names(declaration: tree_sitter.Node) -> list[str]:
    name = declaration.child_by_field_name("name")
    if name is not None:
        return [_text(name)]
    names = []
    for child in declaration.named_children:
        if child.type == "variable_declarator":
            target = child.child_by_field_name("name")
            if target is not None:
                names += [_text(n) for n, _ in _pattern_names(target)]
    return names


def call_shape(name: str, node: tree_sitter.Node) -> str:
    params = node.child_by_field_name("parameters")
    if params is None:
        return f"{name}()"
    names = []
    for child in params.named_children:
        typed = child.type in ("required_parameter", "optional_parameter")
        pattern = child.child_by_field_name("pattern") if typed else child
        if pattern is None:
            continue
        if pattern.type == "assignment_pattern":
            pattern = pattern.child_by_field_name("left")
        text = _text(pattern)
        names.append(text if len(text) <= 12 else "...")
    return f"{name}({', '.join(names)})"
