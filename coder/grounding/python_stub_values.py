"""Values read from the standard library's type stubs (typeshed).

What a standard function, method or property gives (``re.compile(p).match(s)``: a
``Match``) is read from its stub, evaluated like repository code, and the stub's
classes are swapped for the running interpreter's, whose members introspection lists.
Mixed into ``python_values.Evaluator``.
"""

from __future__ import annotations

import builtins

from coder.grounding import python_environment, python_stubs
from coder.grounding import python_runtime as runtime
from coder.grounding.python_file import Binding, PythonFile, Scope, pick_binding
from coder.grounding.python_value_kinds import Instance, OneOf, PyObject, RepoClass, RepoFunction, Unknown, Value, one_of


class StubRules:
    """Evaluator methods for standard-library values (they use its ``returned_value``,
    ``binding_value`` and member lookup)."""

    def _stub_file(self, path: str) -> PythonFile | None:
        """A stub file, parsed once for the evaluator's life (stubs change only with
        an upgrade, and builtins.pyi takes ~75 ms to read)."""
        if path not in self._stubs:
            text = python_environment.read_installed(path)
            self._stubs[path] = PythonFile(text, path) if text is not None else None
        return self._stubs[path]

    def _stub_definition(self, obj) -> tuple[PythonFile, list[Binding]] | None:
        """The stub file and bindings (several for overloads) that describe a
        runtime class or function of the standard library."""
        home = python_stubs.home_of(obj)
        path = python_stubs.stub_path(home[0]) if home is not None else None
        pf = self._stub_file(path) if path is not None else None
        if pf is None:
            return None
        scope: Scope | None = pf.module
        parts = home[1].split(".")
        for part in parts[:-1]:
            scope = _class_scope(pf, scope, part)
            if scope is None:
                return None
        bindings = scope.bindings.get(parts[-1])
        return (pf, bindings) if bindings else None

    def stub_class(self, cls: type) -> RepoClass | None:
        found = self._stub_definition(cls)
        if found is None:
            return None
        pf, bindings = found
        scope = _class_scope(pf, bindings[0].scope, bindings[0].name)
        return RepoClass(pf, scope) if scope is not None else None

    def stub_call(self, function) -> Value:
        """What a standard-library function returns, from its stub."""
        found = self._stub_definition(function)
        label = getattr(function, "__qualname__", None) or "the function"
        if found is None:
            return Unknown(f"what {label}() returns is not known")
        pf, bindings = found
        binding = pick_binding(bindings, len(pf.source))
        scope = pf.scope_for_definition(binding.definition) if binding.kind == "function" else None
        if scope is None:
            return Unknown(f"what {label}() returns is not known")
        return self.returned_value(RepoFunction(pf, scope))

    def _stub_member(self, receiver: Instance, name: str) -> Value:
        """``x.name`` on an instance of a standard class, from its stub: a method to
        call, a property's or an attribute's declared type."""
        stub = self.stub_class(receiver.cls.obj)
        found = self._find_member(stub, name) if stub is not None else None
        if found is None:
            return Unknown(f"type of {receiver.cls.label}.{name} not known")
        pf, binding = found
        value = self.binding_value(pf, binding)
        if isinstance(value, RepoFunction):
            return self._method_value(value, receiver)
        return self._runtime_twin(value)

    def _runtime_twin(self, value: Value) -> Value:
        """A value read from a stub, with the stub's classes replaced by the running
        interpreter's (``re.Match``), whose members introspection lists."""
        if isinstance(value, OneOf):
            return one_of([self._runtime_twin(option) for option in value.options])
        if isinstance(value, Instance) and isinstance(value.cls, RepoClass):
            twin = _runtime_class_of_stub(value.cls)
            if twin is not None:
                return Instance(twin, tuple(self._runtime_twin(arg) for arg in value.args), value.open_reason)
        if isinstance(value, RepoClass):
            return _runtime_class_of_stub(value) or value
        return value


def _class_scope(pf: PythonFile, scope: Scope, name: str) -> Scope | None:
    """The class ``name`` defined in ``scope`` (its last definition)."""
    for binding in reversed(scope.bindings.get(name, [])):
        if binding.kind == "class":
            return pf.scope_for_definition(binding.definition)
    return None


def _runtime_class_of_stub(cls: RepoClass) -> PyObject | None:
    """The running interpreter's class a stub class describes, when it has one."""
    module = python_stubs.module_of_stub(cls.path)
    if module is None:
        return None
    names = []
    scope: Scope | None = cls.scope
    while scope is not None and scope.kind == "class":
        names.append(scope.name)
        scope = scope.parent
    obj = builtins if module == "builtins" else runtime.stdlib_module(module)
    for name in reversed(names):
        obj = getattr(obj, name, None)
    return PyObject(obj, obj.__name__) if isinstance(obj, type) else None
