"""One Python file's scopes and the names bound in each, from the grounding query.

Built once per file version (the caller caches it). It knows where each name is
bound (module, class body, function, lambda, comprehension), what was assigned or
annotated there (for cheap type guesses), which attributes methods set on
``self``/``cls``, and where code adds names the resolver cannot see (``setattr``,
``__getattr__``, ``from x import *``), which makes answers about that scope low
confidence.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import tree_sitter

from coder.grounding import incremental
from coder.grounding.queries import grounding_query
from coder.syntax.languages import new_parser

SCOPE_TYPES = {
    "function_definition": "function",
    "class_definition": "class",
    "lambda": "lambda",
    "list_comprehension": "comprehension",
    "set_comprehension": "comprehension",
    "dictionary_comprehension": "comprehension",
    "generator_expression": "comprehension",
}


@dataclass(eq=False)
class Binding:
    name: str
    # function | class | assign | augment | walrus | unpack | loop | with | except
    # | global | nonlocal | param | import | attribute
    kind: str
    start: int  # byte offset of the bound identifier (ordering against the cursor)
    line: int
    definition: tree_sitter.Node | None = None  # function_definition / class_definition
    value: tree_sitter.Node | None = None  # the assigned expression, when one
    annotation: tree_sitter.Node | None = None  # the `type` node, when one
    module: str | None = None  # imports: dotted module, leading dots when relative
    attr: str | None = None  # from-imports: the imported name (None for `import x`)
    splat: str | None = None  # parameters: "*" for `*args`, "**" for `**kwargs`
    # Unpacking (`a, (b, c) = value`, `for k, v in items`): the name's index path in
    # the target (c: (1, 1)) and whether each element of ``value`` is unpacked
    # ("loop") or ``value`` itself ("assign"); None when it cannot be told.
    unpack_path: tuple[int, ...] | None = None
    unpack_from: str | None = None
    scope: "Scope | None" = None  # where the binding lives (for evaluating its value)


@dataclass(eq=False)
class Scope:
    kind: str  # module | function | class | lambda | comprehension
    node: tree_sitter.Node | None  # None for the module
    start: int
    end: int
    name: str
    parent: "Scope | None" = None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    params: list[Binding] = field(default_factory=list)  # functions and lambdas, in order
    decorators: list[str] = field(default_factory=list)
    attributes: dict[str, list[Binding]] = field(default_factory=dict)  # classes: via self/cls
    bases: list[tree_sitter.Node] = field(default_factory=list)
    metaclass: tree_sitter.Node | None = None
    dynamic: bool = False  # names added in ways we cannot see
    instance_dynamic: bool = False  # classes: `setattr(self, ...)`, `self.__dict__`: instances only
    # Classes: a `def __getattr__` / `__getattribute__` in the body may hand instances
    # names no listing has (it does not apply to the class object itself).
    answers_any_attribute: bool = False
    star_imports: list[str] = field(default_factory=list)
    # Member listings computed from this scope, by origin (cached with the file version).
    member_cache: dict[str, dict] = field(default_factory=dict)

    def bind(self, binding: Binding) -> None:
        binding.scope = self
        self.bindings.setdefault(binding.name, []).append(binding)

    @property
    def enclosing_class(self) -> "Scope | None":
        """For a method's scope: the class whose body defines it."""
        if self.kind == "function" and self.parent is not None and self.parent.kind == "class":
            return self.parent
        return None

    def is_static(self) -> bool:
        return "staticmethod" in self.decorators

    def is_classmethod(self) -> bool:
        return "classmethod" in self.decorators


def _text(node: tree_sitter.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""


class PythonFile:
    """Scopes and bindings of one Python source text."""

    def __init__(self, text: str, path: str = "", previous: "PythonFile | None" = None):
        self.path = path
        self.text = text
        self.source = text.encode("utf-8")
        old_source, old_tree = (previous.source, previous.tree) if previous is not None else (None, None)
        self.tree = incremental.parse(new_parser("python"), self.source, old_source, old_tree)
        self.module = Scope("module", None, 0, len(self.source) + 1, "")
        self._scopes: dict[int, Scope] = {}  # by scope node id
        self._ordered: list[Scope] = []  # by start, outer before inner
        self._starts: list[int] = []
        self.classes: list[Scope] = []
        self._build()

    # -- lookups -----------------------------------------------------------------

    def scope_of_node(self, node: tree_sitter.Node) -> Scope:
        """The scope a node lives in: for a scope-opening node, the one around it."""
        own = self._scopes.get(node.id)
        if own is not None:
            return own.parent or self.module
        return self.scope_around(node.start_byte)

    def scope_around(self, offset: int) -> Scope:
        """The innermost scope whose node contains a byte offset.

        Scopes nest, so the innermost one containing ``offset`` is the last scope
        starting at or before it, or one of that scope's ancestors.
        """
        index = bisect.bisect_right(self._starts, offset) - 1
        scope = self._ordered[index] if index >= 0 else self.module
        while scope.parent is not None and not (scope.start <= offset < scope.end):
            scope = scope.parent
        return scope

    def scope_at(self, offset: int) -> Scope:
        """The innermost scope around a byte offset (the cursor's scope)."""
        return self.scope_around(offset)

    def scope_for_definition(self, node: tree_sitter.Node) -> Scope | None:
        return self._scopes.get(node.id)

    # -- building ------------------------------------------------------------------

    def _build(self) -> None:
        captures = tree_sitter.QueryCursor(grounding_query("python")).captures(self.tree.root_node)
        # Scopes first (bindings need them), in source order so parents come first.
        scope_nodes = []
        for name, nodes in captures.items():
            if name.startswith("scope."):
                scope_nodes += [(node, name[6:]) for node in nodes]
        scope_nodes.sort(key=lambda item: (item[0].start_byte, -item[0].end_byte))
        for node, kind in scope_nodes:
            name = _text(node.child_by_field_name("name")) if kind in ("function", "class") else kind
            scope = Scope(kind, node, node.start_byte, node.end_byte, name)
            scope.parent = self.scope_around(node.start_byte)  # among the scopes so far
            self._scopes[node.id] = scope
            self._ordered.append(scope)
            self._starts.append(scope.start)
            if kind == "class":
                self.classes.append(scope)
                self._read_class_header(scope, node)
            elif kind == "function":
                scope.decorators = _decorators(node)

        seen: set[int] = set()
        for name, nodes in captures.items():
            if name.startswith("bind."):
                kind = name[5:]
                for node in nodes:
                    if node.id not in seen:
                        seen.add(node.id)
                        self._add_binding(kind, node)
            elif name.startswith("import."):
                for node in nodes:
                    self._add_import(name[7:], node)
            elif name.startswith("dynamic."):
                for node in nodes:
                    self._mark_dynamic(name[8:], node)
        for scope in self._ordered:  # captures come grouped by kind: restore source order
            scope.params.sort(key=lambda binding: binding.start)
        # After the parameters: whether `obj` is a method's self needs them.
        for name_node in captures.get("attr.name", ()):
            self._add_attribute(name_node.parent.child_by_field_name("object"), name_node)

    def _read_class_header(self, scope: Scope, node: tree_sitter.Node) -> None:
        superclasses = node.child_by_field_name("superclasses")
        if superclasses is None:
            return
        for child in superclasses.named_children:
            if child.type == "keyword_argument":
                if _text(child.child_by_field_name("name")) == "metaclass":
                    scope.metaclass = child.child_by_field_name("value")
                # other class keywords (total=False, ...) do not add members
            elif child.type in ("list_splat", "dictionary_splat"):
                scope.bases.append(child)  # `*bases`: unknowable, evaluates to unknown
            elif child.type != "comment":
                scope.bases.append(child)

    def _add_binding(self, kind: str, node: tree_sitter.Node) -> None:
        name = _text(node)
        parent = node.parent
        binding = Binding(name, kind, node.start_byte, node.start_point[0])
        if kind in ("function", "class"):
            binding.definition = parent
            scope = self.scope_of_node(parent)  # the name lives outside its own body
        elif kind == "assign":
            binding.value = parent.child_by_field_name("right")
            binding.annotation = parent.child_by_field_name("type")
            scope = self.scope_of_node(node)
        elif kind == "walrus":
            binding.value = parent.child_by_field_name("value")
            scope = self.scope_of_node(node)
            while scope.kind == "comprehension":  # PEP 572: binds outside comprehensions
                scope = scope.parent
        elif kind == "as":
            as_pattern = parent.parent
            in_except = as_pattern.parent is not None and as_pattern.parent.type == "except_clause"
            binding.kind = "except" if in_except else "with"
            binding.value = as_pattern.named_children[0] if as_pattern.named_children else None
            scope = self.scope_of_node(node)
        elif kind in ("param", "splat"):
            holder = parent if parent.type in ("typed_parameter", "default_parameter", "typed_default_parameter") else None
            if kind == "splat":
                outer = parent.parent
                if outer is not None and outer.type == "typed_parameter":
                    outer = outer.parent
                is_parameter = outer is not None and outer.type in ("parameters", "lambda_parameters")
                binding.kind = "param" if is_parameter else "unpack"
                binding.splat = "**" if parent.type == "dictionary_splat_pattern" else "*"
                if is_parameter and parent.parent is not None and parent.parent.type == "typed_parameter":
                    # `*args: int`: the annotation types each element, not the tuple.
                    binding.annotation = parent.parent.child_by_field_name("type")
            if holder is not None:
                binding.annotation = holder.child_by_field_name("type")
                binding.value = holder.child_by_field_name("value")
            scope = self.scope_of_node(node)
            if binding.kind == "param" and scope.kind in ("function", "lambda"):
                scope.params.append(binding)
        elif kind == "loop":
            binding.value = parent.child_by_field_name("right")  # what is iterated
            scope = self.scope_of_node(node)
        elif kind == "unpack":
            _read_unpacking(binding, node)
            scope = self.scope_of_node(node)
        else:
            scope = self.scope_of_node(node)
        scope.bind(binding)

    def _add_import(self, kind: str, node: tree_sitter.Node) -> None:
        scope = self.scope_of_node(node)
        line = node.start_point[0]
        if kind == "plain":
            for child in node.children_by_field_name("name"):
                if child.type == "aliased_import":
                    alias = child.child_by_field_name("alias")
                    module = _text(child.child_by_field_name("name"))
                    scope.bind(Binding(_text(alias), "import", alias.start_byte, line, module=module))
                elif child.type == "dotted_name":
                    first = child.named_children[0]
                    # `import a.b.c` binds `a`, the top package.
                    scope.bind(Binding(_text(first), "import", first.start_byte, line, module=_text(first)))
            return
        module = "".join(_text(node.child_by_field_name("module_name")).split())
        if any(child.type == "wildcard_import" for child in node.children):
            scope.star_imports.append(module)
            return
        for child in node.children_by_field_name("name"):
            if child.type == "aliased_import":
                bound = child.child_by_field_name("alias")
                imported = _text(child.child_by_field_name("name"))
            else:
                bound = child
                imported = _text(child)
            scope.bind(Binding(_text(bound), "import", bound.start_byte, line, module=module, attr=imported))

    def _mark_dynamic(self, kind: str, node: tree_sitter.Node) -> None:
        if kind == "getattr":
            # A module-level __getattr__ answers for any name; a class's is judged by
            # the resolver (it serves instances, and may only set listed attributes).
            scope = self.scope_of_node(node.parent)
            if scope.kind == "class":
                scope.answers_any_attribute |= not _hook_only_defers(node.parent)
            else:
                scope.dynamic = True
            return
        if kind == "call" and _text(node) in ("exec", "globals"):
            self.module.dynamic = True
            return
        # setattr(self, ...) / self.__dict__ inside a class: that class is dynamic.
        if kind == "call":
            arguments = node.parent.child_by_field_name("arguments")
            target = arguments.named_children[0] if arguments is not None and arguments.named_children else None
        else:
            if not _writes_to(node.parent):
                return  # reading `self.__dict__` (a copy, a lookup) adds no names
            target = node.parent.child_by_field_name("object")
        receiver = _text(target)
        if receiver not in ("self", "cls"):
            return
        scope = self.scope_of_node(node)
        while scope is not None and scope.kind != "class":
            scope = scope.parent
        if scope is not None:
            if receiver == "self":
                scope.instance_dynamic = True  # the class object itself keeps its names
            else:
                scope.dynamic = True

    def _add_attribute(self, object_node: tree_sitter.Node, name_node: tree_sitter.Node) -> None:
        """`obj.name = ...`: an instance (or class) attribute when obj is self/cls."""
        receiver = _text(object_node)
        # The function that binds the receiver: a closure inside a method may use the
        # method's self.
        scope: Scope | None = self.scope_of_node(object_node)
        while scope is not None and scope.kind not in ("class", "module") and receiver not in scope.bindings:
            scope = scope.parent
        if scope is None or scope.kind != "function":
            return
        cls = scope.enclosing_class
        if cls is None or scope.is_static() or not scope.params or scope.params[0].name != receiver:
            return
        assignment = name_node.parent.parent
        binding = Binding(_text(name_node), "attribute", name_node.start_byte, name_node.start_point[0])
        if assignment is not None and assignment.type == "assignment":
            binding.value = assignment.child_by_field_name("right")
            binding.annotation = assignment.child_by_field_name("type")
        binding.scope = scope
        cls.attributes.setdefault(binding.name, []).append(binding)


_TARGET_PATTERNS = ("pattern_list", "tuple_pattern", "list_pattern")


def _read_unpacking(binding: Binding, name: tree_sitter.Node) -> None:
    """Where an unpacked name sits and what it unpacks: ``for text, style in
    segments`` binds ``style`` to position 1 of each element of ``segments``."""
    path: list[int] = []
    child, holder = name, name.parent
    while holder is not None and holder.type in _TARGET_PATTERNS:
        targets = [c for c in holder.named_children if c.type != "comment"]
        if any(target.type == "list_splat_pattern" for target in targets):
            return  # `a, *rest, b`: positions after the star are not known
        path.insert(0, next(i for i, target in enumerate(targets) if target.id == child.id))
        child, holder = holder, holder.parent
    if holder is None or holder.child_by_field_name("left") is None or holder.child_by_field_name("left").id != child.id:
        return
    if holder.type in ("for_statement", "for_in_clause"):
        binding.unpack_from = "loop"
    elif holder.type == "assignment":
        binding.unpack_from = "assign"
    else:
        return
    binding.value = holder.child_by_field_name("right")
    binding.unpack_path = tuple(path)


def _hook_only_defers(hook: tree_sitter.Node) -> bool:
    """Whether a ``__getattr__`` can only hand back attributes set the ordinary way.

    gitdb's ``LazyMixin`` computes attributes on first access, assigns them to ``self``
    and returns ``object.__getattribute__(self, name)``: every name it answers is one
    some method assigns, which the member listing already has. A hook that returns
    anything else (a proxy's delegate, a generated command) answers for any name.
    """
    returns = list(returns_of(hook.child_by_field_name("body")))
    if not returns:
        return False
    for statement in returns:
        value = statement.named_children[0] if statement.named_children else None
        if value is None or value.type != "call":
            return False
        function = value.child_by_field_name("function")
        if function is None or function.type != "attribute":
            return False
        if _text(function.child_by_field_name("attribute")) != "__getattribute__":
            return False
        if _text(function.child_by_field_name("object")).replace(" ", "") not in ("object", "super()"):
            return False
    return True


def returns_of(node: tree_sitter.Node | None):
    """The return statements of a function body, not of functions nested in it."""
    if node is None:
        return
    for child in node.named_children:
        if child.type == "return_statement":
            yield child
        elif child.type not in ("function_definition", "class_definition", "lambda"):
            yield from returns_of(child)


_DICT_WRITERS = ("update", "setdefault", "__setitem__")


def _writes_to(dict_node: tree_sitter.Node) -> bool:
    """Whether code stores through ``x.__dict__``: ``x.__dict__ = d``,
    ``x.__dict__[k] = v``, ``x.__dict__.update(d)``."""
    parent = dict_node.parent
    if parent is None:
        return False
    if parent.type == "assignment" and parent.child_by_field_name("left") == dict_node:
        return True
    if parent.type == "subscript" and parent.child_by_field_name("value") == dict_node:
        holder = parent.parent
        return holder is not None and holder.type in ("assignment", "augmented_assignment") and (
            holder.child_by_field_name("left") == parent)
    if parent.type == "attribute" and parent.child_by_field_name("object") == dict_node:
        return _text(parent.child_by_field_name("attribute")) in _DICT_WRITERS
    return False


def _decorators(function_node: tree_sitter.Node) -> list[str]:
    parent = function_node.parent
    if parent is None or parent.type != "decorated_definition":
        return []
    names = []
    for child in parent.named_children:
        if child.type == "decorator":
            # The expression, not the decorator's text: `@property  # type: ignore`
            # holds its trailing comment.
            expression = next((c for c in child.named_children if c.type != "comment"), None)
            text = _text(expression).strip()
            names.append(text.split("(", 1)[0].rsplit(".", 1)[-1])
    return names


def pick_binding(bindings: list[Binding], offset: int) -> Binding:
    """The binding in effect at ``offset``: the last one before it, else the first.
    One whose value holds the offset is not in effect yet: in ``tag = tag.object``
    the right side reads the ``tag`` bound before."""
    before = [b for b in bindings if b.start < offset and (b.value is None or not b.value.start_byte <= offset <= b.value.end_byte)]
    if before:
        return max(before, key=lambda b: b.start)
    return min(bindings, key=lambda b: b.start)
