"""Prompt templates: text files under ``prompts/``, shipped as ``coder.prompts``.

Templates use ``str.format`` fields. They are read once per process; a missing one
is a packaging bug, reported with its name.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from coder.errors import CoderError


@lru_cache(maxsize=None)
def template(name: str) -> str:
    """The template ``prompts/<name>.txt`` (``name`` may hold a folder: "completion/file_header")."""
    try:
        return resources.files("coder.prompts").joinpath(f"{name}.txt").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        raise CoderError(f"the prompt template {name}.txt is missing from this coder install; reinstall coder") from None


def render(name: str, **fields: str) -> str:
    return template(name).format(**fields)
