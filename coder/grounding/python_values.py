"""What a Python expression is, and what members it has: cheap guesses, never wrong.

``Evaluator.value(file, scope, node, offset)`` follows bindings (imports, classes,
``x = Foo()``, annotations, ``self``/``cls``) to one of a few value kinds; anything
it cannot follow is ``Unknown`` with a reason. ``Evaluator.members(value)`` lists the
value's members and says whether the list is complete: a class defined in the
repository whose every base is known, a standard module, a builtin type. This is no
type checker: it follows the bindings a reader follows at a glance, and gives up
(low confidence) everywhere else.
"""

from __future__ import annotations

import builtins
import inspect
import io
import typing
from dataclasses import dataclass, field

import tree_sitter

from coder.grounding import python_runtime as runtime
from coder.grounding.names import NameInfo
from coder.grounding.python_file import Binding, PythonFile, Scope, returns_of
from coder.grounding.python_signatures import binding_info
from coder.grounding.repo_view import RepoView

MAX_DEPTH = 24  # bindings followed for one question (import chains, aliases)


# -- values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Unknown:
    reason: str


@dataclass(frozen=True)
class RepoModule:
    name: str
    path: str | None  # the .py / __init__.py file, None for a namespace package
    package: str | None  # the directory, for packages


@dataclass(frozen=True)
class RepoClass:
    pf: PythonFile  # the parsed file version the class was found in
    scope: Scope

    @property
    def path(self) -> str:
        return self.pf.path


@dataclass(frozen=True)
class RepoFunction:
    pf: PythonFile
    scope: Scope


@dataclass(frozen=True)
class Instance:
    cls: "RepoClass | PyObject"


@dataclass(frozen=True)
class PyObject:
    """An object of the running interpreter: builtin or standard-library."""

    obj: object = field(hash=False, compare=False)
    label: str = ""

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other) -> bool:
        return isinstance(other, PyObject) and other.obj is self.obj


@dataclass(frozen=True)
class Super:
    cls: RepoClass


Value = Unknown | RepoModule | RepoClass | RepoFunction | Instance | PyObject | Super


@dataclass
class Members:
    infos: dict[str, NameInfo]
    complete: bool
    label: str | None
    reason: str = ""


def _text(node: tree_sitter.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""


def label_of(value: Value) -> str | None:
    if isinstance(value, RepoModule):
        return f"module {value.name}"
    if isinstance(value, (RepoClass, RepoFunction)):
        return value.scope.name
    if isinstance(value, Instance):
        return label_of(value.cls)
    if isinstance(value, PyObject):
        return value.label or getattr(value.obj, "__name__", None)
    if isinstance(value, Super):
        return f"super of {value.cls.scope.name}"
    return None


# -- evaluation -----------------------------------------------------------------------


class Evaluator:
    def __init__(self, repo: RepoView):
        self.repo = repo
        self._depth = 0

    def file(self, path: str) -> PythonFile | None:
        return self.repo.parsed_file("python", path, PythonFile)

    # bindings

    def lookup(self, pf: PythonFile, scope: Scope, name: str, offset: int) -> Value:
        """What ``name`` means at ``offset`` inside ``scope`` (LEGB, no class skipping
        for the scope itself)."""
        current: Scope | None = scope
        first = True
        while current is not None:
            if current.kind == "class" and not first:
                current = current.parent  # class bodies are not enclosing scopes
                continue
            bindings = current.bindings.get(name)
            if bindings:
                binding = pick_binding(bindings, offset)
                if binding.kind == "global":
                    return self.lookup(pf, pf.module, name, offset)
                if binding.kind != "nonlocal":
                    return self.binding_value(pf, binding)
            first = False
            current = current.parent
        if name in runtime.BUILTIN_NAMES:
            return PyObject(getattr(builtins, name), name)
        if name in ("__name__", "__file__", "__doc__", "__package__"):
            return Instance(PyObject(str, "str"))
        if pf.module.star_imports:
            return Unknown(f"{name} may come from `from {pf.module.star_imports[0]} import *`")
        return Unknown(f"{name} is not defined here")

    def binding_value(self, pf: PythonFile, binding: Binding) -> Value:
        if self._depth > MAX_DEPTH:
            return Unknown("binding chain too long")
        self._depth += 1
        try:
            return self._binding_value(pf, binding)
        finally:
            self._depth -= 1

    def _binding_value(self, pf: PythonFile, binding: Binding) -> Value:
        kind = binding.kind
        scope = binding.scope or pf.module
        if kind == "class":
            cls = pf.scope_for_definition(binding.definition)
            return RepoClass(pf, cls) if cls is not None else Unknown("class not parsed")
        if kind == "function":
            function = pf.scope_for_definition(binding.definition)
            return RepoFunction(pf, function) if function is not None else Unknown("function not parsed")
        if kind == "import":
            return self.import_value(pf, binding)
        if binding.annotation is not None:
            annotated = self.annotation_value(pf, scope, binding.annotation, binding.start)
            if not isinstance(annotated, Unknown) or binding.value is None:
                return annotated
        if kind == "param":
            return self._param_value(pf, binding, scope)
        if kind in ("assign", "walrus", "attribute") and binding.value is not None:
            # An attribute's value is evaluated in the method that set it.
            return self.value(pf, scope, binding.value, binding.start)
        if kind == "except" and binding.value is not None:
            exception = self.value(pf, scope, binding.value, binding.start)
            if isinstance(exception, (RepoClass, PyObject)) and _is_class(exception):
                return Instance(exception)
            return Unknown("exception type not known")
        if kind == "with" and binding.value is not None:
            return self.entered_value(self.value(pf, scope, binding.value, binding.start))
        return Unknown(f"{binding.name} is bound by a {kind}")

    def entered_value(self, manager: Value) -> Value:
        """``with manager as x``: what ``manager.__enter__()`` gives, when it is known
        (annotated, or a body that returns ``self``, as files and most classes do)."""
        if isinstance(manager, Unknown):
            return manager
        if isinstance(manager, Instance) and isinstance(manager.cls, RepoClass):
            found = self._find_member(manager.cls, "__enter__")
            if found is not None and found[1].kind == "function":
                pf, binding = found
                function = pf.scope_for_definition(binding.definition)
                if function is not None:
                    if function.node.child_by_field_name("return_type") is not None:
                        return self.returned_value(RepoFunction(pf, function))
                    if _returns_only_self(function.node):
                        return manager
        if isinstance(manager, Instance) and isinstance(manager.cls, PyObject):
            if runtime.enter_returns_self(manager.cls.obj):
                return manager
        return Unknown(f"what {label_of(manager) or 'the context manager'} gives to `with` is not known")

    def _param_value(self, pf: PythonFile, binding: Binding, scope: Scope) -> Value:
        cls = scope.enclosing_class
        if cls is not None and scope.params and scope.params[0] is binding and not scope.is_static():
            repo_class = RepoClass(pf, cls)
            implicit_class = scope.name in ("__new__", "__init_subclass__", "__class_getitem__")
            return repo_class if scope.is_classmethod() or implicit_class else Instance(repo_class)
        if binding.value is not None:
            default = self.value(pf, scope.parent or pf.module, binding.value, binding.start)
            if isinstance(default, Instance):
                return default
        return Unknown(f"parameter {binding.name} has no usable annotation")

    # imports and modules

    def import_value(self, pf: PythonFile, binding: Binding) -> Value:
        module = self.module_value(pf.path, binding.module or "")
        if binding.attr is None:
            return module
        return self.member_value(module, binding.attr, via_import=True)

    def module_value(self, importer: str, dotted: str) -> Value:
        if dotted.startswith("."):
            found = self.repo.python_relative(importer, dotted)
            if found is None:
                return Unknown(f"relative module {dotted} is not in the repository")
            return RepoModule(dotted, *found)
        found = self.repo.python_module(dotted, importer)
        if found is not None:
            return RepoModule(dotted, *found)
        module = runtime.stdlib_module(dotted)
        if module is not None:
            return PyObject(module, f"module {dotted}")
        if runtime.is_stdlib(dotted):
            return Unknown(f"standard module {dotted} is still loading")
        return Unknown(f"module {dotted} is outside the repository and not installed")

    # expressions

    def value(self, pf: PythonFile, scope: Scope, node: tree_sitter.Node, offset: int) -> Value:
        if self._depth > MAX_DEPTH:
            return Unknown("expression too deep")
        self._depth += 1
        try:
            return self._value(pf, scope, node, offset)
        finally:
            self._depth -= 1

    def _value(self, pf: PythonFile, scope: Scope, node: tree_sitter.Node, offset: int) -> Value:
        kind = node.type
        if kind == "identifier":
            return self.lookup(pf, scope, _text(node), offset)
        if kind == "attribute":
            receiver = self.value(pf, scope, node.child_by_field_name("object"), offset)
            return self.member_value(receiver, _text(node.child_by_field_name("attribute")))
        if kind == "call":
            function = node.child_by_field_name("function")
            if function is not None and function.type == "identifier" and _text(function) == "super":
                return self._super(pf, scope, offset)
            callee = self.value(pf, scope, function, offset)
            if isinstance(callee, PyObject) and callee.obj is typing.cast:
                return self._cast_value(pf, scope, node, offset)
            if isinstance(callee, PyObject) and callee.obj is builtins.open:
                return _opened_file(node.child_by_field_name("arguments"))
            return self.call_value(callee)
        if kind in ("parenthesized_expression", "type") and node.named_children:
            return self.value(pf, scope, node.named_children[0], offset)
        if kind == "assignment":  # a = b = Foo(): the value of the inner one
            right = node.child_by_field_name("right")
            return self.value(pf, scope, right, offset) if right is not None else Unknown("assignment")
        if kind == "conditional_expression":  # `a if c else b`: known when both agree
            values = [self.value(pf, scope, child, offset) for child in node.named_children[::2]]
            if len(values) == 2 and _same_value(values[0], values[1]):
                return values[0]
            return Unknown("the two sides of a conditional expression differ or are unknown")
        literal = _LITERALS.get(kind)
        if literal is not None:
            return Instance(PyObject(literal, literal.__name__))
        return Unknown(f"cannot follow a {kind} expression")

    def _cast_value(self, pf: PythonFile, scope: Scope, call: tree_sitter.Node, offset: int) -> Value:
        """``typing.cast(T, value)`` is, to a reader, a ``T``."""
        arguments = call.child_by_field_name("arguments")
        first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
        if first is None or first.type in ("keyword_argument", "list_splat", "dictionary_splat"):
            return Unknown("cast() without a type")
        return self.annotation_value(pf, scope, first, offset)

    def _super(self, pf: PythonFile, scope: Scope, offset: int) -> Value:
        current: Scope | None = scope
        while current is not None and current.enclosing_class is None:
            current = current.parent
        if current is None:
            return Unknown("super() outside a method")
        return Super(RepoClass(pf, current.enclosing_class))

    def call_value(self, function: Value) -> Value:
        if isinstance(function, RepoClass):
            return Instance(function)
        if isinstance(function, PyObject) and _is_class(function):
            return Instance(function)
        if isinstance(function, RepoFunction):
            return self.returned_value(function)
        return Unknown("return value not known")

    def returned_value(self, function: RepoFunction) -> Value:
        node = function.scope.node.child_by_field_name("return_type")
        if node is None:
            return Unknown(f"{function.scope.name}() has no return annotation")
        pf = function.pf
        outer = function.scope.parent or pf.module
        # `-> Self` / `-> "Reader"` inside the class refer to the class.
        return self.annotation_value(pf, outer, node, node.start_byte, owner=function.scope.enclosing_class)

    def annotation_value(
        self, pf: PythonFile, scope: Scope, node: tree_sitter.Node, offset: int, owner: Scope | None = None
    ) -> Value:
        """The instance an annotation describes: ``Foo``, ``"Foo"``, ``m.Foo``,
        ``Optional[Foo]``, ``Foo | None``; Unknown for anything wider."""
        while node.type == "type" and node.named_children:
            node = node.named_children[0]
        if node.type == "string":
            content = _text(node)[1:-1].strip("\"'")
            return self._dotted_annotation(pf, scope, content, offset, owner)
        if node.type == "binary_operator" and _text(node.child_by_field_name("operator")) == "|":
            parts = [node.child_by_field_name("left"), node.child_by_field_name("right")]
            kept = [p for p in parts if p is not None and _text(p) != "None"]
            if len(kept) == 1:
                return self.annotation_value(pf, scope, kept[0], offset, owner)
            return Unknown("union annotation")
        if node.type in ("generic_type", "subscript"):
            head = node.named_children[0] if node.type == "generic_type" else node.child_by_field_name("value")
            if _text(head).rsplit(".", 1)[-1] == "Optional":
                inner = [c for c in node.named_children[1:] if c.type not in ("[", "]")]
                if node.type == "generic_type" and inner and inner[0].type == "type_parameter":
                    inner = inner[0].named_children
                if len(inner) == 1:
                    return self.annotation_value(pf, scope, inner[0], offset, owner)
            # `List[str]`, `IO[bytes]`, `IterableList[Remote]`: an instance of the
            # generic's class (its members do not depend on the parameters).
            origin = _generic_origin(self.value(pf, scope, head, offset))
            if isinstance(origin, PyObject) and (inspect.isabstract(origin.obj) or origin.obj.__module__ == "typing"):
                # `self.paths: Sequence[str] = []` and then `self.paths.append(p)`:
                # real code leans on the concrete value behind an abstract annotation
                # (an ABC, or typing's IO interfaces).
                return Unknown(f"abstract annotation {_text(node)}: the value may have more members")
            if origin is not None:
                return Instance(origin)
            return Unknown(f"generic annotation {_text(node)}")
        if node.type in ("identifier", "attribute"):
            if owner is not None and _text(node) in ("Self", "typing.Self", owner.name):
                return Instance(RepoClass(pf, owner))
            target = self.value(pf, scope, node, offset)
            if isinstance(target, (RepoClass, PyObject)) and _is_class(target):
                return Instance(target)
            if isinstance(target, Unknown):
                return target
            return Unknown(f"annotation {_text(node)} is not a class")
        if node.type == "none":
            return Unknown("annotated None")
        return Unknown(f"annotation {_text(node)} not followed")

    def _dotted_annotation(self, pf, scope, content: str, offset: int, owner: Scope | None) -> Value:
        parts = content.split(".")
        if not all(p.isidentifier() for p in parts):
            return Unknown(f"string annotation {content!r} not followed")
        if owner is not None and content in ("Self", owner.name):
            return Instance(RepoClass(pf, owner))
        value = self.lookup(pf, scope, parts[0], offset)
        for part in parts[1:]:
            value = self.member_value(value, part)
        if isinstance(value, (RepoClass, PyObject)) and _is_class(value):
            return Instance(value)
        return value if isinstance(value, Unknown) else Unknown(f"{content} is not a class")

    # members

    def member_value(self, receiver: Value, name: str, via_import: bool = False) -> Value:
        if isinstance(receiver, Unknown):
            return receiver
        if isinstance(receiver, RepoModule):
            pf = self.file(receiver.path) if receiver.path else None
            if pf is not None:
                bindings = pf.module.bindings.get(name)
                if bindings:
                    return self.binding_value(pf, pick_binding(bindings, len(pf.source)))
            if receiver.package is not None:
                found = self.repo.python_path(f"{receiver.package}/{name}")
                if found is not None:
                    return RepoModule(f"{receiver.name}.{name}", *found)
            return Unknown(f"{name} not found in module {receiver.name}")
        if isinstance(receiver, PyObject):
            obj = receiver.obj
            if hasattr(obj, name):
                member = getattr(obj, name)
                if runtime.object_kind(member) == "module" and receiver.label.startswith("module "):
                    return PyObject(member, f"{receiver.label}.{name}")  # "module os.path"
                return PyObject(member, name)
            if via_import and runtime.object_kind(obj) == "module":
                module = runtime.stdlib_module(f"{obj.__name__}.{name}")
                if module is not None:
                    return PyObject(module, f"module {obj.__name__}.{name}")
            return Unknown(f"{name} not found on {receiver.label}")
        if isinstance(receiver, Instance) and isinstance(receiver.cls, PyObject):
            return Unknown(f"type of {receiver.cls.label}.{name} not known")
        if isinstance(receiver, (RepoClass, Instance, Super)):
            cls = receiver.cls if isinstance(receiver, (Instance, Super)) else receiver
            found = self._find_member(cls, name, skip_self=isinstance(receiver, Super))
            if found is None:
                return Unknown(f"{name} not found on {cls.scope.name}")
            pf, binding = found
            value = self.binding_value(pf, binding)
            if isinstance(value, RepoFunction) and isinstance(receiver, (Instance, Super)):
                if "property" in value.scope.decorators or "cached_property" in value.scope.decorators:
                    return self.returned_value(value)
            return value
        return Unknown("members not followed")

    def _find_member(self, cls: RepoClass, name: str, skip_self: bool = False):
        for klass in self.mro(cls)[1 if skip_self else 0:]:
            if not isinstance(klass, RepoClass):
                continue
            pf = klass.pf
            bindings = klass.scope.bindings.get(name) or klass.scope.attributes.get(name)
            if bindings:
                return pf, pick_binding(bindings, klass.scope.end)
        return None

    def mro(self, cls: RepoClass) -> list[RepoClass | PyObject | Unknown]:
        """The class and its ancestors, depth-first, each once (close enough to C3 for
        listing members)."""
        order: list = []
        seen: set = set()

        def visit(klass, depth: int) -> None:
            if klass in seen or depth > MAX_DEPTH:
                return
            seen.add(klass)
            order.append(klass)
            if isinstance(klass, RepoClass):
                for base in self.bases(klass):
                    visit(base, depth + 1)

        visit(cls, 0)
        return order

    def bases(self, cls: RepoClass) -> list[RepoClass | PyObject | Unknown]:
        pf = cls.pf
        outer = cls.scope.parent or pf.module
        result = []
        for base in cls.scope.bases:
            node = base
            if node.type in ("subscript", "generic_type"):  # Generic[T], Base[int]
                node = node.child_by_field_name("value") or node.named_children[0]
            value = self.value(pf, outer, node, cls.scope.start)
            if isinstance(value, PyObject) and not _is_class(value):
                value = _base_class_of(value)
            if isinstance(value, (RepoClass, PyObject)) and _is_class(value):
                result.append(value)
            else:
                result.append(Unknown(f"base {_text(base)} of {cls.scope.name} is not known"))
        return result

    def members(self, value: Value) -> Members:
        label = label_of(value)
        if isinstance(value, Unknown):
            return Members({}, False, None, value.reason)
        if isinstance(value, RepoModule):
            return self._module_members(value)
        if isinstance(value, PyObject):
            complete = not (_is_class(value) and runtime.is_dynamic_class(value.obj))
            return Members(dict(runtime.object_members(value.obj)), complete, label)
        if isinstance(value, Instance) and isinstance(value.cls, PyObject):
            infos = dict(runtime.object_members(value.cls.obj))
            complete, reason = not runtime.is_dynamic_class(value.cls.obj), ""
            if _is_class(value.cls):
                attributes, read_all = runtime.instance_attributes(value.cls.obj)
                for name in attributes:
                    infos.setdefault(name, NameInfo(name, "attribute", "", "member"))
                if not read_all:
                    complete, reason = False, f"the source of {label} is not available"
            return Members(infos, complete, label, reason)
        if isinstance(value, (RepoClass, Instance, Super)):
            cls = value if isinstance(value, RepoClass) else value.cls
            on_class = isinstance(value, RepoClass)
            return self._class_members(cls, skip_self=isinstance(value, Super), label=label, on_class=on_class)
        return Members({}, False, label, "members of a function are not listed")

    def _module_members(self, module: RepoModule) -> Members:
        infos: dict[str, NameInfo] = {}
        complete, reason = True, ""
        pf = self.file(module.path) if module.path else None
        if pf is not None:
            for name, bindings in pf.module.bindings.items():
                infos[name] = binding_info(max(bindings, key=lambda b: b.start), "member")
            if pf.module.star_imports:
                complete, reason = False, f"module {module.name} uses `from {pf.module.star_imports[0]} import *`"
            if pf.module.dynamic:
                complete, reason = False, f"module {module.name} defines names dynamically"
        if module.package is not None:
            for sub in self.repo.submodules(module.package):
                infos.setdefault(sub, NameInfo(sub, "module", "", "member"))
        return Members(infos, complete, f"module {module.name}", reason)

    def _class_members(self, cls: RepoClass, skip_self: bool, label: str | None, on_class: bool = False) -> Members:
        """Members of a class (``on_class``: looked up on the class object itself, where
        the body's ``__getattr__`` does not apply) or of its instances."""
        infos: dict[str, NameInfo] = {}
        complete, reason = True, ""
        for position, klass in enumerate(self.mro(cls)):
            if position == 0 and skip_self:
                continue
            origin = "member" if position == 0 else "inherited"
            if isinstance(klass, Unknown):
                complete, reason = False, klass.reason
                continue
            if isinstance(klass, PyObject):
                if runtime.is_dynamic_class(klass.obj):
                    complete, reason = False, f"{klass.label} answers any attribute"
                base_origin = "universal" if klass.obj is object else "inherited"
                for name, info in runtime.object_members(klass.obj).items():
                    infos.setdefault(name, NameInfo(name, info.kind, info.signature, base_origin))
                continue
            scope = klass.scope
            if scope.dynamic or (scope.instance_dynamic and not on_class):
                complete, reason = False, f"{scope.name} sets attributes dynamically"
            elif not on_class and scope.answers_any_attribute:
                complete, reason = False, f"{scope.name} answers attributes it does not list (__getattr__)"
            if scope.metaclass is not None and not _known_metaclass(self, klass):
                complete, reason = False, f"{scope.name} has a custom metaclass"
            for name, info in self._own_members(klass, origin).items():
                infos.setdefault(name, info)
        # Every class is an object.
        for name, info in runtime.object_members(object).items():
            infos.setdefault(name, NameInfo(name, info.kind, info.signature, "universal"))
        return Members(infos, complete, label, reason)

    def _own_members(self, klass: RepoClass, origin: str) -> dict[str, NameInfo]:
        """Members a class body defines itself (cached on its scope, per file version)."""
        cached = klass.scope.member_cache.get(origin)
        if cached is None:
            cached = {}
            for name, bindings in klass.scope.bindings.items():
                cached[name] = binding_info(max(bindings, key=lambda b: b.start), origin, in_class=True)
            for name in klass.scope.attributes:
                cached.setdefault(name, NameInfo(name, "attribute", "", origin))
            for name in _slot_names(klass.scope):
                cached.setdefault(name, NameInfo(name, "attribute", "", origin))
            self._index_members(klass, cached, origin)
            klass.scope.member_cache[origin] = cached
        return cached

    def _index_members(self, klass: RepoClass, infos: dict[str, NameInfo], origin: str) -> None:
        """Members the repository index knows for the class (its tags may see forms
        the grounding query does not)."""
        for tag in self.repo.index.members(klass.scope.name, klass.path):
            if tag.line >= klass.scope.node.start_point[0] and tag.line <= klass.scope.node.end_point[0]:
                kind = "method" if tag.kind in ("function", "method") else "field"
                infos.setdefault(tag.name, NameInfo(tag.name, kind, "", origin))

    def scope_names(self, pf: PythonFile, scope: Scope, exclude_start: int | None = None) -> Members:
        """Names visible in ``scope``: locals, enclosing functions, module, builtins."""
        infos: dict[str, NameInfo] = {}
        current: Scope | None = scope
        first = True
        while current is not None:
            if current.kind == "class" and not first:
                current = current.parent
                continue
            origin = "local" if first else ("module" if current.kind == "module" else "enclosing")
            for name, bindings in current.bindings.items():
                real = [b for b in bindings if b.start != exclude_start and b.kind not in ("global", "nonlocal")]
                if real and name not in infos:
                    info = binding_info(real[0], origin)
                    infos[name] = info
            first = False
            current = current.parent
        for name in runtime.BUILTIN_NAMES:
            infos.setdefault(name, NameInfo(name, "builtin", "", "builtin"))
        for name in runtime.MODULE_NAMES:
            infos.setdefault(name, NameInfo(name, "variable", "", "module"))
        complete, reason = True, ""
        if pf.module.star_imports:
            complete, reason = False, f"`from {pf.module.star_imports[0]} import *` adds unknown names"
        elif pf.module.dynamic:
            complete, reason = False, "the module defines names dynamically"
        return Members(infos, complete, None, reason)


# Metaclass methods that can add names to a class or change what calling it returns.
_CLASS_SHAPING_HOOKS = ("__new__", "__init__", "__prepare__", "__call__", "__getattr__")


def _known_metaclass(evaluator: Evaluator, cls: RepoClass) -> bool:
    """Whether the metaclass leaves the class's names as its body lists them: abc's and
    enum's do; one of the repository's does when none of its classes defines a hook
    that shapes the class (a ``__getattribute__`` or ``__setattr__`` that only watches
    accesses, as GitPython's ``_GitMeta`` does, is fine)."""
    pf = cls.pf
    value = evaluator.value(pf, cls.scope.parent or pf.module, cls.scope.metaclass, cls.scope.start)
    if isinstance(value, PyObject):
        return getattr(value.obj, "__module__", "") in ("abc", "enum")
    if not isinstance(value, RepoClass):
        return False
    for klass in evaluator.mro(value):
        if isinstance(klass, PyObject):
            if klass.obj is not type and getattr(klass.obj, "__module__", "") not in ("abc", "builtins"):
                return False
            continue
        if isinstance(klass, Unknown) or klass.scope.dynamic or klass.scope.metaclass is not None:
            return False
        if any(hook in klass.scope.bindings for hook in _CLASS_SHAPING_HOOKS):
            return False
    return True


def _generic_origin(head: Value) -> RepoClass | PyObject | None:
    """The class a subscripted annotation is an instance of: a repository class, a
    builtin or standard class (``list``, ``typing.IO``), or the class behind a typing
    alias (``typing.List`` -> ``list``, ``typing.Sequence`` -> ``collections.abc.Sequence``).
    None for special forms (``Union``, ``Literal``, ``ClassVar``) and for ``Type[X]``,
    which is a class, not an instance."""
    if isinstance(head, RepoClass):
        return head
    if not isinstance(head, PyObject):
        return None
    origin = head if isinstance(head.obj, type) else _alias_origin(head.obj)
    if origin is None or origin.obj is type:
        return None
    return origin


def _alias_origin(obj) -> PyObject | None:
    """The class behind a typing alias: ``typing.List`` (or ``List[T]``) -> ``list``."""
    origin = getattr(obj, "__origin__", None)
    return PyObject(origin, origin.__name__) if isinstance(origin, type) else None


def _returns_only_self(function: tree_sitter.Node) -> bool:
    returns = list(returns_of(function.child_by_field_name("body")))
    return bool(returns) and all(
        len(statement.named_children) == 1 and _text(statement.named_children[0]) == "self" for statement in returns
    )


def _opened_file(arguments: tree_sitter.Node | None) -> Value:
    """``open(path, mode)`` with a literal mode: the io class it returns."""
    mode_node = None
    if arguments is not None:
        positional = [a for a in arguments.named_children if a.type not in ("keyword_argument", "comment")]
        if len(positional) >= 2:
            mode_node = positional[1]
        for argument in arguments.named_children:
            if argument.type == "keyword_argument" and _text(argument.child_by_field_name("name")) == "mode":
                mode_node = argument.child_by_field_name("value")
    if mode_node is None:
        mode = "r"
    elif mode_node.type == "string" and not _text(mode_node).lower().startswith(("f", "rf", "fr")):
        mode = _text(mode_node).strip("\"'")
    else:
        return Unknown("open() with a mode not known")
    if "b" not in mode:
        return Instance(PyObject(io.TextIOWrapper, "TextIOWrapper"))
    if "+" in mode:
        return Instance(PyObject(io.BufferedRandom, "BufferedRandom"))
    if any(letter in mode for letter in "wax"):
        return Instance(PyObject(io.BufferedWriter, "BufferedWriter"))
    return Instance(PyObject(io.BufferedReader, "BufferedReader"))


def _slot_names(scope: Scope) -> list[str]:
    """``__slots__ = ("size", "sha")``: attributes instances may hold, even when only a
    lazy hook ever assigns them."""
    bindings = scope.bindings.get("__slots__")
    value = bindings[-1].value if bindings else None
    if value is None:
        return []
    if value.type == "string":
        items = [value]
    elif value.type in ("tuple", "list", "parenthesized_expression"):
        items = value.named_children
    else:
        return []
    names = []
    for item in items:
        if item.type == "string":
            text = _text(item).strip("\"'")
            if text.isidentifier():
                names.append(text)
    return names


_LITERALS = {
    "string": str,
    "concatenated_string": str,
    "integer": int,
    "float": float,
    "true": bool,
    "false": bool,
    "list": list,
    "list_comprehension": list,
    "dictionary": dict,
    "dictionary_comprehension": dict,
    "set": set,
    "set_comprehension": set,
    "tuple": tuple,
}


def _same_value(a: Value, b: Value) -> bool:
    """The same class or object, or instances of the same class (by identity: the
    dataclasses' own equality would compare whole scopes)."""
    if isinstance(a, Instance) and isinstance(b, Instance):
        return _same_value(a.cls, b.cls)
    if isinstance(a, RepoClass) and isinstance(b, RepoClass):
        return a.pf is b.pf and a.scope is b.scope
    if isinstance(a, PyObject) and isinstance(b, PyObject):
        return a.obj is b.obj
    return False


def _base_class_of(value: PyObject) -> Value:
    """The class a typing construct stands for when it is a base: ``List[T]`` is
    list, ``NamedTuple`` a tuple with ``_asdict`` and the rest, ``TypedDict`` dict."""
    obj = value.obj
    origin = _alias_origin(obj)
    if origin is not None:
        return origin
    if obj is runtime.typing_special("NamedTuple"):
        return PyObject(runtime.named_tuple_class(), "NamedTuple")
    if obj is runtime.typing_special("TypedDict"):
        return PyObject(dict, "dict")  # its instances are dicts; the keys are no attributes
    entries = getattr(obj, "__mro_entries__", None)
    if callable(entries):
        try:
            classes = [c for c in entries((obj,)) if isinstance(c, type)]
        except Exception:  # a construct that refuses to be a base here: not known
            classes = []
        if classes:
            return PyObject(classes[0], classes[0].__name__)
    return value


def _is_class(value: Value) -> bool:
    if isinstance(value, RepoClass):
        return True
    return isinstance(value, PyObject) and isinstance(value.obj, type)


def pick_binding(bindings: list[Binding], offset: int) -> Binding:
    """The binding in effect at ``offset``: the last one before it, else the first."""
    before = [b for b in bindings if b.start < offset]
    if before:
        return max(before, key=lambda b: b.start)
    return min(bindings, key=lambda b: b.start)
