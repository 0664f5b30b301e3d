"""What iterating, indexing and unpacking a Python value gives.

From what annotations and literals say about a container's items: ``List[Entry]``
iterates as entries, ``Dict[str, Entry]`` indexes to one, ``Tuple[A, B]`` unpacks by
position, a ``NamedTuple`` by its fields, ``zip`` and ``enumerate`` pair their
arguments' elements. Mixed into ``python_values.Evaluator``.
"""

from __future__ import annotations

import collections.abc

import tree_sitter

from coder.grounding import python_runtime as runtime
from coder.grounding.python_file import Binding, PythonFile, Scope
from coder.grounding.python_value_kinds import ELLIPSIS, Instance, PyObject, RepoClass, Unknown, Value, label_of, one_of, text_of

# Literal collections up to this many items are typed item by item (a loop over
# `(a_blob, b_blob)`); longer ones are data, not worth evaluating on a keystroke.
MAX_LITERAL_ITEMS = 8


class ContainerRules:
    """Evaluator methods for items of containers (they use its ``value``)."""

    def element_value(self, iterable: Value) -> Value:
        """What iterating a value gives, when its annotation says (``List[Entry]``,
        ``Sequence[Entry]``, ``Tuple[Entry, ...]``, ``Dict[str, Entry]`` keys)."""
        if isinstance(iterable, Unknown):
            return iterable
        if isinstance(iterable, Instance):
            args = [arg for arg in iterable.args if arg is not ELLIPSIS]
            cls = iterable.cls
            if isinstance(cls, PyObject):
                if cls.obj in (str, bytes, bytearray):
                    return Instance(PyObject(str, "str")) if cls.obj is str else Instance(PyObject(int, "int"))
                if args and issubclass(cls.obj, tuple) and ELLIPSIS not in iterable.args:
                    return one_of(args)  # Tuple[A, B]: either
                if len(args) == 2 and issubclass(cls.obj, collections.abc.ItemsView):
                    return Instance(PyObject(tuple, "tuple"), tuple(args))  # dict.items(): (key, value)
                if len(args) == 2 and issubclass(cls.obj, collections.abc.ValuesView):
                    return args[1]  # dict.values(), typed by key and value
                if args and issubclass(cls.obj, collections.abc.Iterable):
                    return args[0]
            elif len(args) == 1 and self._sequence_like(cls):
                return args[0]  # IterableList[Remote]: a list of Remote
        return Unknown(f"what iterating {label_of(iterable) or 'the value'} gives is not known")

    def item_value(self, container: Value, indices: list[tree_sitter.Node]) -> Value:
        """``container[index]``, when its annotation says: a sequence's element (a
        slice is the sequence again), a mapping's value, a tuple's position."""
        if isinstance(container, Unknown):
            return container
        is_slice = len(indices) == 1 and indices[0].type == "slice"
        if isinstance(container, Instance):
            args = [arg for arg in container.args if arg is not ELLIPSIS]
            cls = container.cls
            if isinstance(cls, PyObject):
                if cls.obj in (str, bytes, bytearray) or (is_slice and issubclass(cls.obj, collections.abc.Sequence)):
                    return container if is_slice or cls.obj is str else Instance(PyObject(int, "int"))
                if len(args) == 2 and issubclass(cls.obj, collections.abc.Mapping):
                    return args[1]
                if args and issubclass(cls.obj, tuple):
                    if ELLIPSIS in container.args:
                        return args[0]
                    position = _literal_index(indices)
                    if position is not None and position < len(args):
                        return args[position]
                    return one_of(args)
                if len(args) == 1 and issubclass(cls.obj, collections.abc.Sequence):
                    return args[0]
            elif len(args) == 1 and not is_slice and self._sequence_like(cls):
                return args[0]
        return Unknown(f"what indexing {label_of(container) or 'the value'} gives is not known")

    def _unpacked_value(self, pf: PythonFile, scope: Scope, binding: Binding) -> Value:
        """``a, b = value`` / ``for a, b in values``: the part at the name's place."""
        node, path = binding.value, list(binding.unpack_path)
        # `a, b = Reader(), Writer()`: the matching expression, when written out.
        while binding.unpack_from == "assign" and path and node.type in ("expression_list", "tuple"):
            parts = [child for child in node.named_children if child.type != "comment"]
            if len(parts) <= path[0] or any(part.type == "list_splat" for part in parts):
                return Unknown(f"{binding.name} is unpacked from a shorter or starred tuple")
            node = parts[path.pop(0)]
        value = self.value(pf, scope, node, binding.start)
        if binding.unpack_from == "loop":
            value = self.element_value(value)
        for index in path:
            value = self.position_value(value, index)
        return value

    def position_value(self, value: Value, index: int) -> Value:
        """The ``index``-th item unpacked from a value: a tuple's position, a
        sequence's element, a NamedTuple's field."""
        if isinstance(value, Unknown):
            return value
        if isinstance(value, Instance):
            args = [arg for arg in value.args if arg is not ELLIPSIS]
            cls = value.cls
            if isinstance(cls, PyObject) and args and issubclass(cls.obj, tuple):
                if ELLIPSIS in value.args:
                    return args[0]
                return args[index] if index < len(args) else Unknown("unpacked past the tuple's end")
            if isinstance(cls, PyObject) and len(args) == 1 and issubclass(cls.obj, collections.abc.Sequence):
                return args[0]
            if isinstance(cls, RepoClass):
                fields = self._named_tuple_fields(cls)
                if fields is not None and index < len(fields):
                    return self.binding_value(cls.pf, fields[index])
        return Unknown(f"what unpacking {label_of(value) or 'the value'} gives is not known")

    def _named_tuple_fields(self, cls: RepoClass) -> list[Binding] | None:
        """A ``class Segment(NamedTuple)``'s annotated fields, in order."""
        if not any(isinstance(k, PyObject) and k.obj is runtime.named_tuple_class() for k in self.mro(cls)):
            return None
        fields = [bindings[0] for bindings in cls.scope.bindings.values()
                  if bindings[0].kind == "assign" and bindings[0].annotation is not None]
        return sorted(fields, key=lambda binding: binding.start)

    def _sequence_like(self, cls: RepoClass) -> bool:
        """A repository generic built on a sequence or set (``IterableList(List[T])``):
        its one type argument is its element type."""
        return any(
            isinstance(klass, PyObject) and isinstance(klass.obj, type) and klass.obj is not object
            and issubclass(klass.obj, (collections.abc.Sequence, collections.abc.Set))
            and not issubclass(klass.obj, (str, bytes))
            for klass in self.mro(cls)
        )

    def _collection_literal(self, pf, scope, node: tree_sitter.Node, offset: int) -> Value:
        """``(a_blob, b_blob)``, ``[reader, other]``: the collection with what its
        items are, for loops and unpacking over it (a tuple keeps positions)."""
        kind = {"tuple": tuple, "list": list, "set": set}[node.type]
        items = [child for child in node.named_children if child.type != "comment"]
        if any(item.type in ("list_splat", "parenthesized_list_splat") for item in items):
            return Instance(PyObject(kind, kind.__name__))
        values = [self.value(pf, scope, item, offset) for item in items]
        args = tuple(values) if kind is tuple else (one_of(values),)
        return Instance(PyObject(kind, kind.__name__), args)

    def _paired(self, pf, scope, builtin, arguments: tree_sitter.Node | None, offset: int) -> Value:
        """``zip(a, b)`` / ``enumerate(a)``: an iterator of tuples, whose items are
        the elements of the arguments (an int first for enumerate)."""
        positional = [a for a in arguments.named_children if a.type not in ("keyword_argument", "comment")] if arguments else []
        if any(argument.type == "list_splat" for argument in positional) or not positional:
            return Instance(PyObject(builtin, builtin.__name__))
        items = [self.element_value(self.value(pf, scope, argument, offset)) for argument in positional]
        if builtin is enumerate:
            items = [Instance(PyObject(int, "int"))] + items[:1]
        return Instance(PyObject(builtin, builtin.__name__), (Instance(PyObject(tuple, "tuple"), tuple(items)),))


def _literal_index(indices: list[tree_sitter.Node]) -> int | None:
    """``pair[1]``: the literal position, when the index is one."""
    if len(indices) != 1 or indices[0].type != "integer":
        return None
    try:
        return int(text_of(indices[0]), 0)
    except ValueError:  # `1j`, a leading zero: no position
        return None
