"""Which language a path is in: by its extension as pathlib reads it, else its shebang."""

from __future__ import annotations

from pathlib import Path

import pytest

from coder.syntax.languages import PLAIN_TEXT, detect_language


@pytest.mark.parametrize("path, expected", [
    ("pkg/mod.py", "python"), ("stubs/x.pyi", "python"), ("src/Main.JAVA", "java"), ("a.tar.gz", PLAIN_TEXT),
    ("include/x.h", "c"), ("lib.rs", "rust"), ("web/App.tsx", "tsx"), ("Makefile", PLAIN_TEXT),
    (".py", PLAIN_TEXT),  # a dotfile named ".py" has no extension, as pathlib says
    ("notes.", PLAIN_TEXT), ("dir.py/README", PLAIN_TEXT), ("../up.sh", "bash"),
])
def test_by_extension(path, expected):
    assert detect_language(path) == expected == detect_language(Path(path))


@pytest.mark.parametrize("first_line, expected", [
    ("#!/usr/bin/env python3", "python"), ("#!/usr/bin/env -S python3 -u", "python"), ("#!/bin/bash -e", "bash"),
    ("#!/usr/bin/node", "javascript"), ("#!/usr/bin/perl", PLAIN_TEXT), ("# not a shebang", PLAIN_TEXT),
])
def test_by_shebang(first_line, expected):
    assert detect_language("bin/tool", first_line) == expected
