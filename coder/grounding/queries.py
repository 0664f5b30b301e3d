"""Loading the grounding queries (coder/queries/<language>-grounding.scm)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import tree_sitter

from coder.syntax.languages import grammar

# TSX shares TypeScript's query: the node types it captures are the same.
_QUERY_FILE = {"tsx": "typescript"}


@lru_cache(maxsize=None)
def grounding_query(language: str) -> tree_sitter.Query | None:
    lang = grammar(language)
    source = resources.files("coder").joinpath("queries", f"{_QUERY_FILE.get(language, language)}-grounding.scm")
    if lang is None or not source.is_file():
        return None
    return tree_sitter.Query(lang, source.read_text(encoding="utf-8"))
