"""Processes coder starts run coder's own code, never the repository's.

A Python started with the repository as its working directory puts that directory
first on ``sys.path``: a repository holding ``jinja2/`` or ``numpy/`` would then be
imported by coder's model worker (llama-cpp-python imports both) and run with the
user's rights the moment a completion is asked for. So every Python process coder
starts is isolated (``-I``: no working directory or script folder on the path, no
``PYTHON*`` variables, no user site) and starts in a directory coder owns. Only the
fix/optimize loops run repository code, on purpose, inside their sandbox.
"""

from __future__ import annotations

import contextlib
import os
import sys

# No pathlib at import time: ``python -m coder`` imports this module while the working
# directory is still first on sys.path, and a repository's ``pathlib.py`` would be
# taken for the standard library's. Only modules Python itself has loaded by then.


def python_command(module: str, *args: str) -> list[str]:
    """The command line that runs ``python -m module`` from coder's environment only."""
    return [sys.executable, "-I", "-m", module, *args]


def neutral_directory() -> str:
    """A working directory for coder's own processes, outside any repository."""
    from coder import paths

    folder = paths.cache_dir() / "run"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)
    except OSError:
        return os.path.abspath(os.sep)


def drop_working_directory_from_path() -> None:
    """Remove the working directory from ``sys.path`` (``python -m coder`` put it first).

    The entry coder itself was imported from stays (running from coder's own source
    tree), since coder's modules are already found through the package."""
    import coder

    own = os.path.dirname(os.path.dirname(os.path.realpath(coder.__file__)))
    try:
        here = os.path.realpath(os.getcwd())
    except OSError:
        here = None
    kept = []
    for entry in sys.path:
        resolved = os.path.realpath(entry or os.curdir) if here is not None else None
        if (entry == "" or resolved == here) and resolved != own:
            continue
        kept.append(entry)
    sys.path[:] = kept


@contextlib.contextmanager
def children_without_working_directory():
    """While inside, Python children started the way multiprocessing starts them
    (``python -c ...`` in this process's working directory, often the repository,
    which ``-c`` puts first on sys.path) leave that directory off (PYTHONSAFEPATH,
    Python >= 3.11). Only around the start of such children, so the commands a user
    runs keep their usual path."""
    previous = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PYTHONSAFEPATH", None)
        else:
            os.environ["PYTHONSAFEPATH"] = previous
