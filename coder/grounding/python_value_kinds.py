"""The kinds of value the Python resolver tells apart, and what they are called.

``Unknown`` carries why a value could not be followed; the rest say what a
receiver is (a repository module, class or function, an instance, an object of the
running interpreter, a union, a type alias), for ``python_values.Evaluator`` to list
members of.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tree_sitter

from coder.grounding.python_file import PythonFile, Scope
from coder.grounding.syntax_tree import text_of


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
    # The type arguments of a subscripted annotation (`List[Reader]`: an instance of
    # Reader), which say what iterating or indexing the value gives; ELLIPSIS for `...`.
    args: tuple = ()
    # Why the listing of an abstract annotation's members is not complete
    # (`Sequence[str]`: the concrete value behind it has more); empty when it is.
    open_reason: str = ""


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


@dataclass(frozen=True)
class Bound:
    """A method looked up on an instance: calling it knows the receiver, which a
    ``-> Self`` annotation means (``Path(p).parent`` is a Path, not a PurePath)."""

    function: RepoFunction
    receiver: "Value"


@dataclass(frozen=True)
class OneOf:
    """A union annotation's value (`Union[Commit, Tree]`, `Head | Tag`): one of the
    options, so a member of any of them is valid (code tells them apart by tests)."""

    options: tuple


@dataclass(frozen=True, eq=False)
class TypeForm:
    """A typing expression bound to a name (`AnyGitObject = Union["Commit", "Tree"]`,
    `Nodes = List[Node]`): a type alias, which means something as an annotation."""

    pf: PythonFile
    scope: Scope
    node: tree_sitter.Node


Value = Unknown | RepoModule | RepoClass | RepoFunction | Bound | Instance | PyObject | Super | OneOf | TypeForm

ELLIPSIS = PyObject(Ellipsis, "...")


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
    if isinstance(value, OneOf):
        return " | ".join(label_of(option) or "?" for option in value.options)
    if isinstance(value, TypeForm):
        return text_of(value.node)
    return None


def one_of(values: list[Value]) -> Value:
    """One value for several that may each be the answer: the first unknown one
    if any (the answer may be anything), else their union without repeats."""
    unknown = next((value for value in values if isinstance(value, Unknown)), None)
    if unknown is not None:
        return unknown
    kept: list[Value] = []
    for value in values:
        for option in value.options if isinstance(value, OneOf) else (value,):
            if not any(same_value(option, other) for other in kept):
                kept.append(option)
    return kept[0] if len(kept) == 1 else OneOf(tuple(kept))


def same_value(a: Value, b: Value) -> bool:
    """The same class or object, or instances of the same class (by identity: the
    dataclasses' own equality would compare whole scopes)."""
    if isinstance(a, Instance) and isinstance(b, Instance):
        return same_value(a.cls, b.cls)
    if isinstance(a, RepoClass) and isinstance(b, RepoClass):
        return a.pf is b.pf and a.scope is b.scope
    if isinstance(a, PyObject) and isinstance(b, PyObject):
        return a.obj is b.obj
    return False


def is_class(value: Value) -> bool:
    if isinstance(value, RepoClass):
        return True
    return isinstance(value, PyObject) and isinstance(value.obj, type)


def is_typing_object(value: Value) -> bool:
    """A typing construct that is no class (``Union``, ``List``, ``Optional``)."""
    return isinstance(value, PyObject) and getattr(value.obj, "__module__", None) == "typing"
