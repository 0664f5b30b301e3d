"""Where the standard library's type stubs are, and which stub names what.

Introspecting the running interpreter lists a standard class's members but not what
its functions return; typeshed's stubs say (``re.Pattern.match`` gives a
``Match[str] | None``, ``os.path.join`` a ``str``). They come with the
``typeshed_client`` package, read from disk (nothing is fetched); without it these
answers stay unknown, as before.
"""

from __future__ import annotations

import functools
import os


@functools.lru_cache(maxsize=1)
def _search_context():
    try:
        import typeshed_client
    except ImportError:
        return None
    # Only typeshed's own stubs: the project's packages are read from their source.
    return typeshed_client.get_search_context(search_path=[])


@functools.lru_cache(maxsize=1)
def stub_root() -> str | None:
    """The folder of the bundled typeshed stubs, or None without typeshed_client."""
    context = _search_context()
    return str(context.typeshed) if context is not None else None


@functools.lru_cache(maxsize=1024)
def stub_path(module: str) -> str | None:
    """The stub file of a standard module (``"os.path"`` -> ``.../os/path.pyi``)."""
    context = _search_context()
    if context is None or not module:
        return None
    import typeshed_client

    found = typeshed_client.get_stub_file(module, search_context=context)
    return str(found) if found is not None else None


def is_stub(path: str) -> bool:
    root = stub_root()
    return root is not None and path.endswith(".pyi") and path.startswith(root + os.sep)


def module_of_stub(path: str) -> str | None:
    """The module a stub file describes (``.../os/path.pyi`` -> ``"os.path"``)."""
    if not is_stub(path):
        return None
    relative = path[len(stub_root()) + 1: -len(".pyi")].split(os.sep)
    if relative[-1] == "__init__":
        relative = relative[:-1]
    return ".".join(relative) or None


def home_of(obj) -> tuple[str, str] | None:
    """(module, qualified name) under which a stub would describe a runtime class or
    function: ``str.split`` -> ("builtins", "str.split"), ``re.compile`` -> ("re",
    "compile"). Methods of builtin types carry their class's module."""
    qualname = getattr(obj, "__qualname__", None)
    module = getattr(obj, "__module__", None)
    if module is None:
        owner = getattr(obj, "__objclass__", None)
        module = getattr(owner, "__module__", None)
    if not isinstance(qualname, str) or not isinstance(module, str) or "<" in qualname:
        return None  # a lambda or a function defined inside another has no stub
    return module, qualname
