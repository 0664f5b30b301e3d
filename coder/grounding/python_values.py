"""What a Python expression is, and what members it has: cheap guesses, never wrong.

``Evaluator.value(file, scope, node, offset)`` follows bindings (imports, classes,
``x = Foo()``, annotations, ``self``/``cls``) to one of a few value kinds; anything
it cannot follow is ``Unknown`` with a reason. ``Evaluator.members(value)`` lists the
value's members and says whether the list is complete: a class defined in the
repository whose every base is known, a standard module, a builtin type. This is no
type checker: it follows the bindings a reader follows at a glance, and gives up
(low confidence) everywhere else. The value kinds live in python_value_kinds, the
rules for containers' items in python_containers and for standard-library values
(typeshed's stubs) in python_stub_values.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import io
import types
import typing

import tree_sitter

from coder.grounding import python_runtime as runtime
from coder.grounding import python_stubs
from coder.grounding.names import Members, NameInfo
from coder.grounding.python_containers import MAX_LITERAL_ITEMS, ContainerRules
from coder.grounding.python_file import Binding, PythonFile, Scope, pick_binding, returns_of
from coder.grounding.python_signatures import binding_info
from coder.grounding.python_stub_values import StubRules
from coder.grounding.python_value_kinds import (  # noqa: F401  (kinds re-exported for the resolver and the check)
    ELLIPSIS, Bound, Instance, OneOf, PyObject, RepoClass, RepoFunction, RepoModule, Super, TypeForm,
    Unknown, Value, is_class, is_typing_object, label_of, one_of, text_of,
)
from coder.grounding.repo_view import RepoView
from coder.syntax.languages import new_parser

MAX_DEPTH = 24  # bindings followed for one question (import chains, aliases)


# -- evaluation -----------------------------------------------------------------------


class Evaluator(ContainerRules, StubRules):
    def __init__(self, repo: RepoView):
        self.repo = repo
        self._depth = 0
        self._inferring: set[int] = set()  # functions whose returns are being followed
        self._stubs: dict[str, PythonFile | None] = {}  # standard-library stub files by path
        self._type_args: dict[str, Value] = {}  # type variables bound while reading a return type

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
        if kind == "param" and binding.splat is not None:
            # `*args` is a tuple and `**kwargs` a dict whatever the annotation says,
            # which types their elements.
            element = (self.annotation_value(pf, scope, binding.annotation, binding.start)
                       if binding.annotation is not None else Unknown(f"{binding.name} has no annotation"))
            if binding.splat == "**":
                return Instance(PyObject(dict, "dict"), (Instance(PyObject(str, "str")), element))
            return Instance(PyObject(tuple, "tuple"), (element, ELLIPSIS))
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
            if isinstance(exception, (RepoClass, PyObject)) and is_class(exception):
                return Instance(exception)
            return Unknown("exception type not known")
        if kind == "with" and binding.value is not None:
            return self.entered_value(self.value(pf, scope, binding.value, binding.start))
        if kind == "loop" and binding.value is not None:
            return self.element_value(self.value(pf, scope, binding.value, binding.start))
        if kind == "unpack" and binding.unpack_path is not None:
            return self._unpacked_value(pf, scope, binding)
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
            return self.lookup(pf, scope, text_of(node), offset)
        if kind == "attribute":
            receiver = self.value(pf, scope, node.child_by_field_name("object"), offset)
            return self.member_value(receiver, text_of(node.child_by_field_name("attribute")))
        if kind == "call":
            function = node.child_by_field_name("function")
            if function is not None and function.type == "identifier" and text_of(function) == "super":
                return self._super(pf, scope, offset)
            callee = self.value(pf, scope, function, offset)
            if isinstance(callee, PyObject) and callee.obj is typing.cast:
                return self._cast_value(pf, scope, node, offset)
            if isinstance(callee, PyObject) and callee.obj is builtins.open:
                return _opened_file(node.child_by_field_name("arguments"))
            if isinstance(callee, PyObject) and callee.obj in (zip, enumerate):
                return self._paired(pf, scope, callee.obj, node.child_by_field_name("arguments"), offset)
            return self.call_value(callee)
        if kind in ("parenthesized_expression", "type") and node.named_children:
            return self.value(pf, scope, node.named_children[0], offset)
        if kind == "assignment":  # a = b = Foo(): the value of the inner one
            right = node.child_by_field_name("right")
            return self.value(pf, scope, right, offset) if right is not None else Unknown("assignment")
        if kind == "subscript":
            container = self.value(pf, scope, node.child_by_field_name("value"), offset)
            if is_class(container) or is_typing_object(container):
                return TypeForm(pf, scope, node)  # `List[Node]`, `Union[A, B]`: a type
            return self.item_value(container, node.children_by_field_name("subscript"))
        if kind == "binary_operator" and text_of(node.child_by_field_name("operator")) == "|":
            left = node.child_by_field_name("left")
            left_value = self.value(pf, scope, left, offset) if left.type != "none" else None
            if left_value is None or is_class(left_value) or isinstance(left_value, TypeForm):
                return TypeForm(pf, scope, node)  # `Head | Tag`, `str | None`
            return Unknown("cannot follow a | expression")
        if kind == "conditional_expression":
            # `a if c else b`: either side (a None side is ruled out by code that
            # reaches a member, as with Optional).
            sides = [child for child in node.named_children[::2] if child.type != "none"]
            values = [self.value(pf, scope, child, offset) for child in sides]
            return one_of(values) if values else Unknown("a conditional expression of None")
        if kind == "boolean_operator" and text_of(node.child_by_field_name("operator")) == "or":
            # `console or get_console()`: either side (a None side never is the value).
            sides = [node.child_by_field_name("left"), node.child_by_field_name("right")]
            values = [self.value(pf, scope, side, offset) for side in sides if side is not None and side.type != "none"]
            return one_of(values) if values else Unknown("None or None")
        if kind in ("tuple", "list", "set") and 0 < len(node.named_children) <= MAX_LITERAL_ITEMS:
            return self._collection_literal(pf, scope, node, offset)
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
        if isinstance(function, PyObject) and is_class(function):
            return Instance(function)
        if isinstance(function, RepoFunction):
            return self.returned_value(function)
        if isinstance(function, Bound):
            return self.returned_value(function.function, function.receiver)
        if isinstance(function, PyObject) and callable(function.obj):
            return self.stub_call(function.obj)
        return Unknown("return value not known")

    def returned_value(self, function: RepoFunction, receiver: Value | None = None) -> Value:
        """What calling a function gives: its return annotation (every overload's,
        when it has overloads and no annotated implementation), else what its return
        statements give. ``receiver``: the instance a method was called on."""
        variants = _overloads(function)
        if len(variants) > 1:
            return one_of([self._declared_return(variant, receiver) for variant in variants])
        return self._declared_return(function, receiver)

    def _declared_return(self, function: RepoFunction, receiver: Value | None) -> Value:
        node = function.scope.node.child_by_field_name("return_type")
        if node is None:
            return self._inferred_return(function)
        if receiver is not None and text_of(node).strip("\"'") in ("Self", "typing.Self", "typing_extensions.Self"):
            return receiver
        pf = function.pf
        outer = function.scope.parent or pf.module
        saved = self._type_args
        # `def pop(self) -> _T` on a `List[Reader]`: _T is Reader.
        self._type_args = self._receiver_type_args(function, receiver)
        try:
            # `-> Self` / `-> "Reader"` inside the class refer to the class.
            value = self.annotation_value(pf, outer, node, node.start_byte, owner=function.scope.enclosing_class)
        finally:
            self._type_args = saved
        return self._runtime_twin(value) if python_stubs.is_stub(pf.path) else value

    def _receiver_type_args(self, function: RepoFunction, receiver: Value | None) -> dict[str, Value]:
        """The receiver's type arguments by the names of its class's type parameters,
        for a method its own class defines (``dict[str, Reader]``: _KT is str, _VT
        Reader). Empty when they cannot be matched."""
        if not isinstance(receiver, Instance) or not receiver.args or ELLIPSIS in receiver.args:
            return {}
        cls = receiver.cls if isinstance(receiver.cls, RepoClass) else self.stub_class(receiver.cls.obj)
        if cls is None or function.scope.enclosing_class is not cls.scope:
            return {}
        parameters = self.type_parameters(cls)
        return dict(zip(parameters, receiver.args)) if len(parameters) == len(receiver.args) else {}

    def type_parameters(self, cls: RepoClass) -> list[str]:
        """A generic class's type variables in order: those of its ``Generic[...]``
        base if it has one, else as its subscripted bases first name them."""
        cached = cls.scope.member_cache.get("type parameters")
        if cached is not None:
            return cached
        outer = cls.scope.parent or cls.pf.module
        names: list[str] = []
        for base in cls.scope.bases:
            if base.type not in ("subscript", "generic_type"):
                continue
            head = base.child_by_field_name("value") or base.named_children[0]
            found = [name for name in _identifiers_in(_type_parameters(base)) if self._is_type_variable(cls.pf, outer, name)]
            if text_of(head).rsplit(".", 1)[-1] in ("Generic", "Protocol"):
                names = found
                break
            names += [name for name in found if name not in names]
        cls.scope.member_cache["type parameters"] = names
        return names

    def _is_type_variable(self, pf: PythonFile, scope: Scope, name: str) -> bool:
        value = self.lookup(pf, scope, name, len(pf.source))
        return isinstance(value, Instance) and isinstance(value.cls, PyObject) and value.cls.obj is typing.TypeVar

    def _method_value(self, function: RepoFunction, receiver: Value) -> Value:
        """A function found on an instance: a property's value, else the method
        bound to the instance (a static method stays a plain function)."""
        getter = _property_getter(function)
        if getter is not None:
            return self.returned_value(getter, receiver)
        if function.scope.is_static():
            return function
        return Bound(function, receiver)

    def _inferred_return(self, function: RepoFunction) -> Value:
        """What an unannotated function returns, from its ``return`` statements:
        known when every one that returns something is (``return Reader(path)``,
        ``return self``); a generator or coroutine returns neither."""
        node = function.scope.node
        name = function.scope.name
        if node.children and node.children[0].type == "async":
            return Unknown(f"{name}() is a coroutine function without a return annotation")
        body = node.child_by_field_name("body")
        if _yields(body):
            return Unknown(f"{name}() is a generator without a return annotation")
        if node.id in self._inferring:
            return Unknown(f"{name}() returns what it returns (recursion)")
        self._inferring.add(node.id)
        try:
            values = [
                self.value(function.pf, function.scope, statement.named_children[0], statement.start_byte)
                for statement in returns_of(body)
                if statement.named_children and statement.named_children[0].type != "none"
            ]
        finally:
            self._inferring.discard(node.id)
        if not values:
            return Unknown(f"{name}() returns nothing known")
        return one_of(values)

    def annotation_value(
        self, pf: PythonFile, scope: Scope, node: tree_sitter.Node, offset: int, owner: Scope | None = None
    ) -> Value:
        """The instance an annotation describes: ``Foo``, ``"Foo"``, ``m.Foo``,
        ``Optional[Foo]``, ``Foo | None``, ``List[Foo]`` (with its type arguments),
        a union of several (``OneOf``), a type alias; Unknown for anything wider."""
        while node.type == "type" and node.named_children:
            node = node.named_children[0]
        if node.type == "string":
            content = text_of(node)[1:-1].strip("\"'")
            return self._dotted_annotation(pf, scope, content, offset, owner)
        if node.type == "union_type" or (
                node.type == "binary_operator" and text_of(node.child_by_field_name("operator")) == "|"):
            return self._union(pf, scope, _union_parts(node), offset, owner)
        if node.type in ("generic_type", "subscript"):
            head = node.named_children[0] if node.type == "generic_type" else node.child_by_field_name("value")
            parameters = _type_parameters(node)
            if text_of(head).rsplit(".", 1)[-1] in ("Optional", "Union"):
                return self._union(pf, scope, parameters, offset, owner)
            # `List[str]`, `IO[bytes]`, `IterableList[Remote]`: an instance of the
            # generic's class (its members do not depend on the parameters).
            origin = _generic_origin(self.value(pf, scope, head, offset))
            if origin is None:
                return Unknown(f"generic annotation {text_of(node)}")
            args = tuple(
                ELLIPSIS if parameter.type == "ellipsis" else self.annotation_value(pf, scope, parameter, offset, owner)
                for parameter in parameters
            )
            open_reason = ""
            if isinstance(origin, PyObject) and (inspect.isabstract(origin.obj) or origin.obj.__module__ == "typing"):
                # `self.paths: Sequence[str] = []` and then `self.paths.append(p)`:
                # real code leans on the concrete value behind an abstract annotation
                # (an ABC, or typing's IO interfaces); its elements are still known.
                open_reason = f"abstract annotation {text_of(node)}: the value may have more members"
            return Instance(origin, args, open_reason)
        if node.type == "identifier" and text_of(node) in self._type_args:
            return self._type_args[text_of(node)]
        if node.type in ("identifier", "attribute"):
            if owner is not None and text_of(node) in ("Self", "typing.Self", owner.name):
                return Instance(RepoClass(pf, owner))
            target = self.value(pf, scope, node, offset)
            if isinstance(target, PyObject) and target.obj is typing.Any:
                return Unknown(f"annotated {text_of(node)}")  # a class since Python 3.11, yet anything
            if text_of(node).rsplit(".", 1)[-1] == "LiteralString":
                return Instance(PyObject(str, "str"))  # typing's literal strings are strings
            if isinstance(target, (RepoClass, PyObject)) and is_class(target):
                return Instance(target)
            if isinstance(target, TypeForm):
                return self._alias_value(target)
            if isinstance(target, Unknown):
                return target
            return Unknown(f"annotation {text_of(node)} is not a class")
        if node.type == "none":
            return Unknown("annotated None")
        return Unknown(f"annotation {text_of(node)} not followed")

    def _union(self, pf, scope, parts: list[tree_sitter.Node], offset: int, owner: Scope | None) -> Value:
        """``Union[A, B]``, ``Optional[A]``, ``A | B | None``: None dropped (code
        that reaches a member has ruled it out); every other option must be known."""
        values: list[Value] = []
        for part in parts:
            if text_of(part) == "None":
                continue
            value = self.annotation_value(pf, scope, part, offset, owner)
            if isinstance(value, Unknown):
                return Unknown(f"union option {text_of(part)}: {value.reason}")
            values.append(value)
        return one_of(values) if values else Unknown("annotated None")

    def _alias_value(self, alias: TypeForm) -> Value:
        """What an annotation naming a type alias describes (guarded: an alias may
        name itself through a string)."""
        if self._depth > MAX_DEPTH:
            return Unknown("type alias chain too long")
        self._depth += 1
        try:
            return self.annotation_value(alias.pf, alias.scope, alias.node, alias.node.start_byte)
        finally:
            self._depth -= 1

    def _dotted_annotation(self, pf, scope, content: str, offset: int, owner: Scope | None) -> Value:
        """A string annotation (``"Reader"``, ``"m.Reader"``, ``"IterableList[Remote]"``):
        its content parsed on its own, then read like any annotation."""
        expression = _annotation_expression(content)
        if expression is None:
            return Unknown(f"string annotation {content!r} not followed")
        return self.annotation_value(pf, scope, expression, offset, owner)

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
        if isinstance(receiver, OneOf):
            # The options that have the member (code reaching it has told them apart).
            found = [self.member_value(option, name) for option in receiver.options
                     if name in self.members(option).infos]
            return one_of(found) if found else Unknown(f"{name} not found on {label_of(receiver)}")
        if isinstance(receiver, Instance) and isinstance(receiver.cls, PyObject):
            return self._stub_member(receiver, name)
        if isinstance(receiver, (RepoClass, Instance, Super)):
            cls = receiver.cls if isinstance(receiver, (Instance, Super)) else receiver
            found = self._find_member(cls, name, skip_self=isinstance(receiver, Super))
            if found is None:
                return Unknown(f"{name} not found on {cls.scope.name}")
            pf, binding = found
            value = self.binding_value(pf, binding)
            if isinstance(value, RepoFunction) and isinstance(receiver, Instance):
                return self._method_value(value, receiver)
            if isinstance(value, RepoFunction) and isinstance(receiver, Super):
                return self._method_value(value, Instance(receiver.cls))  # self, seen from the base
            return value
        return Unknown("members not followed")

    def _find_member(self, cls: RepoClass, name: str, skip_self: bool = False):
        for klass in self.mro(cls)[1 if skip_self else 0:]:
            if not isinstance(klass, RepoClass):
                continue
            pf = klass.pf
            bindings = klass.scope.bindings.get(name) or klass.scope.attributes.get(name)
            if bindings:
                # An attribute's annotation declares it for every method, whichever
                # assignment comes last (`self.entries: Dict[K, Entry] = {}`).
                annotated = [b for b in bindings if b.annotation is not None and b.kind in ("assign", "attribute")]
                return pf, annotated[-1] if annotated else pick_binding(bindings, klass.scope.end)
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
            if isinstance(value, PyObject) and not is_class(value):
                value = _base_class_of(value)
            if isinstance(value, (RepoClass, PyObject)) and is_class(value):
                result.append(value)
            else:
                result.append(Unknown(f"base {text_of(base)} of {cls.scope.name} is not known"))
        return result

    def members(self, value: Value) -> Members:
        label = label_of(value)
        if isinstance(value, Unknown):
            return Members({}, False, None, value.reason)
        if isinstance(value, RepoModule):
            return self._module_members(value)
        if isinstance(value, PyObject):
            complete = not (is_class(value) and runtime.is_dynamic_class(value.obj))
            return Members(dict(runtime.object_members(value.obj)), complete, label)
        if isinstance(value, OneOf):
            infos: dict[str, NameInfo] = {}
            complete, reason = True, ""
            for option in value.options:
                listed = self.members(option)
                for name, info in listed.infos.items():
                    infos.setdefault(name, info)
                if not listed.complete:
                    complete, reason = False, listed.reason
            return Members(infos, complete, label, reason)
        if isinstance(value, TypeForm):
            return Members({}, False, label, f"{label} is a type alias")
        if isinstance(value, Instance) and value.open_reason:
            listed = self.members(Instance(value.cls))
            return Members(listed.infos, False, label, value.open_reason)
        if isinstance(value, Instance) and isinstance(value.cls, PyObject):
            infos = dict(runtime.object_members(value.cls.obj))
            complete, reason = not runtime.is_dynamic_class(value.cls.obj), ""
            if is_class(value.cls):
                attributes, read_all = runtime.instance_attributes(value.cls.obj)
                for name in attributes:
                    infos.setdefault(name, NameInfo(name, "attribute", "", "member"))
                if not read_all:
                    complete, reason = False, f"the source of {label} is not available"
            if value.cls.obj is types.ModuleType:
                # `importlib.import_module(name)`: which module, and so its names, is
                # decided at run time.
                complete, reason = False, "a module chosen at run time"
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


def _overloads(function: RepoFunction) -> list[RepoFunction]:
    """The ``@overload`` variants of a function, when they are what says its return
    type: a stub has only them; code with an annotated implementation has that."""
    owner = function.scope.parent
    if owner is None:
        return [function]
    if "overload" not in function.scope.decorators and function.scope.node.child_by_field_name("return_type") is not None:
        return [function]
    variants = []
    for binding in owner.bindings.get(function.scope.name, []):
        scope = function.pf.scope_for_definition(binding.definition) if binding.kind == "function" else None
        if scope is not None and "overload" in scope.decorators:
            variants.append(RepoFunction(function.pf, scope))
    return variants or [function]


def _property_getter(function: RepoFunction) -> RepoFunction | None:
    """The getter behind a property: the function itself when it is one, the
    ``@property`` definition of the same name when it is its ``.setter``/``.deleter``
    (the last definition of the name, which a lookup finds)."""
    decorators = function.scope.decorators
    if "property" in decorators or "cached_property" in decorators:
        return function
    if "setter" not in decorators and "deleter" not in decorators:
        return None
    owner = function.scope.parent
    for binding in owner.bindings.get(function.scope.name, []) if owner is not None else []:
        scope = function.pf.scope_for_definition(binding.definition) if binding.kind == "function" else None
        if scope is not None and "property" in scope.decorators:
            return RepoFunction(function.pf, scope)
    return None


@functools.lru_cache(maxsize=512)
def _parsed_annotation(content: str) -> tree_sitter.Tree:
    return new_parser("python").parse(content.encode("utf-8"))


def _annotation_expression(content: str) -> tree_sitter.Node | None:
    """The expression a string annotation holds (``"Dict[str, Remote]"``), parsed
    on its own (the cached tree keeps the node alive)."""
    root = _parsed_annotation(content).root_node
    if root.has_error or len(root.named_children) != 1 or root.named_children[0].type != "expression_statement":
        return None
    statement = root.named_children[0]
    if len(statement.named_children) != 1 or statement.named_children[0].type in ("string", "assignment"):
        return None
    return statement.named_children[0]


def _type_parameters(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The parameters of ``X[a, b]``: in an annotation (``generic_type``) or in an
    expression (``subscript``, as in an alias's value)."""
    if node.type == "subscript":
        return node.children_by_field_name("subscript")
    for child in node.named_children:
        if child.type == "type_parameter":
            return child.named_children
    return []


def _identifiers_in(nodes: list[tree_sitter.Node]) -> list[str]:
    """The identifiers inside some annotation nodes, in order (``Mapping[_KT, List[_VT]]``)."""
    found: list[str] = []
    for node in nodes:
        if node.type == "identifier":
            found.append(text_of(node))
        else:
            found += _identifiers_in(node.named_children)
    return found


def _union_parts(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """``A | B | None`` as its parts, in order: an expression's nested ``|``
    operators, or an annotation's ``union_type`` (whose parts are ``type`` nodes)."""
    while node.type == "type" and len(node.named_children) == 1:
        node = node.named_children[0]
    if node.type == "binary_operator" and text_of(node.child_by_field_name("operator")) == "|":
        return _union_parts(node.child_by_field_name("left")) + _union_parts(node.child_by_field_name("right"))
    if node.type == "union_type":
        return [part for child in node.named_children for part in _union_parts(child)]
    return [node]


def _yields(node: tree_sitter.Node | None) -> bool:
    """Whether a function body yields (not counting functions nested in it)."""
    if node is None:
        return False
    for child in node.named_children:
        if child.type == "yield":
            return True
        if child.type not in ("function_definition", "class_definition", "lambda") and _yields(child):
            return True
    return False


def _returns_only_self(function: tree_sitter.Node) -> bool:
    returns = list(returns_of(function.child_by_field_name("body")))
    return bool(returns) and all(
        len(statement.named_children) == 1 and text_of(statement.named_children[0]) == "self" for statement in returns
    )


def _opened_file(arguments: tree_sitter.Node | None) -> Value:
    """``open(path, mode)`` with a literal mode: the io class it returns."""
    mode_node = None
    if arguments is not None:
        positional = [a for a in arguments.named_children if a.type not in ("keyword_argument", "comment")]
        if len(positional) >= 2:
            mode_node = positional[1]
        for argument in arguments.named_children:
            if argument.type == "keyword_argument" and text_of(argument.child_by_field_name("name")) == "mode":
                mode_node = argument.child_by_field_name("value")
    if mode_node is None:
        mode = "r"
    elif mode_node.type == "string" and not text_of(mode_node).lower().startswith(("f", "rf", "fr")):
        mode = text_of(mode_node).strip("\"'")
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
            text = text_of(item).strip("\"'")
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
