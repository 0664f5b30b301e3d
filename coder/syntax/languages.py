"""Which language a file is in, and the tree-sitter grammar for it.

Grammars come from the maintained per-language wheels (tree-sitter-python, ...).
A language whose wheel is missing degrades to plain text: completion still works
there, only without syntax help.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import tree_sitter


@dataclass(frozen=True)
class LanguageSpec:
    name: str  # our id, also the prefix of coder/queries/<name>-tags.scm
    module: str  # the grammar wheel's import name
    function: str  # the function in it that returns the language pointer
    extensions: tuple[str, ...]
    interpreters: tuple[str, ...] = ()  # names a shebang line may carry


LANGUAGES: dict[str, LanguageSpec] = {
    spec.name: spec
    for spec in (
        LanguageSpec("python", "tree_sitter_python", "language", (".py", ".pyi", ".pyw"), ("python", "python3")),
        LanguageSpec("javascript", "tree_sitter_javascript", "language", (".js", ".mjs", ".cjs", ".jsx"), ("node", "nodejs")),
        LanguageSpec("typescript", "tree_sitter_typescript", "language_typescript", (".ts", ".mts", ".cts")),
        LanguageSpec("tsx", "tree_sitter_typescript", "language_tsx", (".tsx",)),
        LanguageSpec("go", "tree_sitter_go", "language", (".go",)),
        LanguageSpec("rust", "tree_sitter_rust", "language", (".rs",)),
        LanguageSpec("java", "tree_sitter_java", "language", (".java",)),
        LanguageSpec("c", "tree_sitter_c", "language", (".c", ".h")),
        LanguageSpec(
            "cpp", "tree_sitter_cpp", "language",
            (".cc", ".cpp", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp"),
        ),
        LanguageSpec("bash", "tree_sitter_bash", "language", (".sh", ".bash", ".zsh"), ("sh", "bash", "zsh", "dash")),
        LanguageSpec("json", "tree_sitter_json", "language", (".json", ".jsonc")),
    )
}

PLAIN_TEXT = "text"

_BY_EXTENSION = {ext: spec.name for spec in LANGUAGES.values() for ext in spec.extensions}
_BY_INTERPRETER = {name: spec.name for spec in LANGUAGES.values() for name in spec.interpreters}


def detect_language(path: str | Path, first_line: str | None = None) -> str:
    """Language id for a file: by extension, else by its shebang, else plain text."""
    suffix = _suffix(path.name if isinstance(path, Path) else path.rsplit("/", 1)[-1]).lower()
    if suffix in _BY_EXTENSION:
        return _BY_EXTENSION[suffix]
    if first_line and first_line.startswith("#!"):
        return _language_from_shebang(first_line)
    return PLAIN_TEXT


def _suffix(name: str) -> str:
    """``PurePath(name).suffix`` without making a path: a cold build asks for every file."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _language_from_shebang(line: str) -> str:
    words = line[2:].strip().split()
    if not words:
        return PLAIN_TEXT
    program = Path(words[0]).name
    if program == "env":
        # `#!/usr/bin/env -S python3 -u`: the first word that is not an option.
        program = next((w for w in words[1:] if not w.startswith("-")), "")
    program = program.rstrip("0123456789.") or program  # python3.11 -> python
    return _BY_INTERPRETER.get(program, _BY_INTERPRETER.get(program + "3", PLAIN_TEXT))


@lru_cache(maxsize=None)
def grammar(language: str) -> tree_sitter.Language | None:
    """The tree-sitter Language for an id, or None when it has no grammar here."""
    spec = LANGUAGES.get(language)
    if spec is None:
        return None
    try:
        module = importlib.import_module(spec.module)
    except ImportError:
        return None
    return tree_sitter.Language(getattr(module, spec.function)())


def new_parser(language: str) -> tree_sitter.Parser | None:
    lang = grammar(language)
    return tree_sitter.Parser(lang) if lang is not None else None


def available_languages() -> list[str]:
    """Language ids whose grammar loads on this machine."""
    return [name for name in LANGUAGES if grammar(name) is not None]
