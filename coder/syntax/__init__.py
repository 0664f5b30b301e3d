"""Parsing with tree-sitter: language detection, grammars, documents."""
