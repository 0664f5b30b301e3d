"""What Python itself knows: builtins, keywords, and safe-to-import standard modules.

Members of builtin types (``str``, ``dict``, ``Exception`` ...) and of standard-library
modules come from introspecting the running interpreter: exact and cheap. Only
standard modules are imported, never the user's or third-party code (importing runs
arbitrary code), and a few standard modules with import-time side effects are left out.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import io
import keyword
import sys
import textwrap
import threading
import types
from functools import lru_cache

from coder.grounding.names import NameInfo

BUILTIN_NAMES: frozenset[str] = frozenset(dir(builtins))
# Names every module has without binding them.
MODULE_NAMES: tuple[str, ...] = (
    "__name__", "__file__", "__doc__", "__spec__", "__loader__", "__package__",
    "__path__", "__builtins__", "__annotations__", "__dict__",
)
KEYWORDS: tuple[str, ...] = tuple(keyword.kwlist) + tuple(getattr(keyword, "softkwlist", ()))

# Standard modules whose import does something visible or slow (opens a browser,
# prints, starts Tk) or that only make sense as programs.
_NOT_IMPORTED = frozenset({
    "this", "antigravity", "idlelib", "tkinter", "turtle", "turtledemo", "__main__",
    "pydoc_data", "ensurepip", "venv", "lib2to3", "xxsubtype", "_tkinter",
})
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) or frozenset(sys.builtin_module_names)


def is_stdlib(dotted: str) -> bool:
    top = dotted.split(".", 1)[0]
    return top in _STDLIB and top not in _NOT_IMPORTED


_loading: set[str] = set()
_loaded: set[str] = set()  # background imports that have finished, well or not
_loading_lock = threading.Lock()


def stdlib_module(dotted: str, wait: bool = False) -> types.ModuleType | None:
    """The standard-library module ``dotted`` if it is imported already, else None.

    A module not imported yet is imported in a background thread (some take a few
    hundred milliseconds, too long for a keystroke), so a later call finds it;
    ``wait=True`` imports it right away instead.
    """
    if is_loading(dotted):
        # sys.modules holds a module from the start of its import: until the
        # background import ends, its members are not all there yet.
        return _import(dotted) if wait else None
    module = sys.modules.get(dotted)
    if module is not None or not is_stdlib(dotted):
        return module
    if wait:
        return _import(dotted)
    with _loading_lock:
        if dotted in _loading:
            return None
        _loading.add(dotted)
    threading.Thread(target=_import, args=(dotted,), name=f"coder-import-{dotted}", daemon=True).start()
    return None


def _import(dotted: str) -> types.ModuleType | None:
    try:
        return importlib.import_module(dotted)
    except Exception:  # any import-time failure just means "not known here"
        return None
    finally:
        _loaded.add(dotted)


def is_loading(dotted: str) -> bool:
    return dotted in _loading and dotted not in _loaded


def builtin_object(name: str):
    return getattr(builtins, name, None)


def is_dynamic_class(cls: type) -> bool:
    """A class that answers for attributes it does not list (``__getattr__``)."""
    return any("__getattr__" in vars(base) for base in getattr(cls, "__mro__", ())[:-1])


@lru_cache(maxsize=256)
def enter_returns_self(cls: type) -> bool:
    """Whether ``with cls(...) as x`` binds the instance itself: files do (``IOBase``),
    and so does a Python-level ``__enter__`` whose every return is ``return self``
    (``subprocess.Popen``, ``zipfile.ZipFile``, ...), read from the library's source."""
    if not isinstance(cls, type):
        return False
    if issubclass(cls, io.IOBase):
        return True
    enter = getattr(cls, "__enter__", None)
    if not inspect.isfunction(enter):
        return False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(enter)))
    except (OSError, TypeError, SyntaxError, ValueError):
        return False
    returns = [node for node in ast.walk(tree) if isinstance(node, ast.Return)]
    return bool(returns) and all(isinstance(r.value, ast.Name) and r.value.id == "self" for r in returns)


def object_kind(value) -> str:
    if inspect.isclass(value):
        return "class"
    if inspect.ismodule(value):
        return "module"
    if inspect.isroutine(value):
        return "method"
    return "attribute"


@lru_cache(maxsize=1024)
def _members_cached(key: int, value) -> dict[str, NameInfo]:
    infos = {}
    for name in dir(value):
        try:
            member = getattr(value, name)
        except Exception:  # properties and descriptors may raise on a class/module
            infos[name] = NameInfo(name, "attribute", "", "inherited")
            continue
        kind = object_kind(member)
        if kind == "method" and inspect.ismodule(value):
            kind = "function"
        signature = _signature(name, member) if kind in ("method", "function", "class") else ""
        infos[name] = NameInfo(name, kind, signature, "member")
    return infos


def object_members(value) -> dict[str, NameInfo]:
    """Members of a module, class or object, by ``dir()``."""
    try:
        return _members_cached(id(value), value)
    except TypeError:  # unhashable value: compute without the cache
        return _members_cached.__wrapped__(id(value), value)


@lru_cache(maxsize=512)
def instance_attributes(cls: type) -> tuple[frozenset[str], bool]:
    """Attributes a standard-library class's methods set on ``self`` (``Popen.stdout``
    is set in ``__init__``, so ``dir(Popen)`` does not list it), read from the source
    of each class in its MRO; and whether every Python-level class there had source.
    Classes written in C keep their attributes in ``dir()`` (slots, getsets)."""
    names: set[str] = set()
    complete = True
    for klass in getattr(cls, "__mro__", ())[:-1]:
        if klass.__module__ == "builtins" or not _has_python_methods(klass):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError, ValueError):
            # No source (a class re-exported under another module's name, as
            # collections.abc's are): only an __init__ of its own is likely to set
            # attributes on instances.
            if inspect.isfunction(vars(klass).get("__init__")):
                complete = False
            continue
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                targets = [node.target]
            for target in targets:
                for part in ast.walk(target):
                    if isinstance(part, ast.Attribute) and isinstance(part.value, ast.Name) and part.value.id == "self":
                        names.add(part.attr)
    return frozenset(names), complete


def _has_python_methods(klass: type) -> bool:
    return any(inspect.isfunction(value) for value in vars(klass).values())


def _signature(name: str, member) -> str:
    try:
        signature = inspect.signature(member)
    except (TypeError, ValueError):
        return f"{name}(...)"
    params = [p for p in signature.parameters.values() if p.name not in ("self", "cls")]
    return f"{name}({', '.join(_param_text(p) for p in params)})"


def _param_text(param: inspect.Parameter) -> str:
    if param.kind is inspect.Parameter.VAR_POSITIONAL:
        return "*" + param.name
    if param.kind is inspect.Parameter.VAR_KEYWORD:
        return "**" + param.name
    return param.name


def typing_special(name: str):
    """``typing.NamedTuple`` and the like: functions that stand for classes as bases."""
    import typing

    return getattr(typing, name, None)


@lru_cache(maxsize=1)
def named_tuple_class() -> type:
    """What a ``class X(NamedTuple)`` is built on: a tuple with the namedtuple API."""
    import collections

    return collections.namedtuple("NamedTuple", ())
