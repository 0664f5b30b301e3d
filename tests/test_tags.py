"""Tags queries per language: each fixture yields the definitions and references in
tests/fixtures/tags/expected.json (checked by hand against the sources)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coder.index.tags import extract_tags, has_tags
from coder.syntax.languages import LANGUAGES

FIXTURES = Path(__file__).parent / "fixtures" / "tags"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_yields_expected_tags(name):
    expected = EXPECTED[name]
    tags = extract_tags(expected["language"], (FIXTURES / name).read_bytes(), name)
    definitions = [[t.name, t.kind, t.scope, t.line + 1] for t in tags if t.role == "definition"]
    assert definitions == expected["definitions"]
    assert sorted({t.name for t in tags if t.role == "reference"}) == expected["references"]


def test_every_language_but_json_has_a_tags_query():
    assert sorted(lang for lang in LANGUAGES if not has_tags(lang)) == ["json"]


def test_signatures_and_positions_are_usable():
    source = "class Reader(Base):\n    def read(self, n: int = -1,\n             strict=False) -> bytes:\n        return b''\n"
    tags = {t.name: t for t in extract_tags("python", source.encode(), "r.py") if t.role == "definition"}
    assert tags["Reader"].signature == "class Reader(Base):"
    assert tags["read"].signature == "def read(self, n: int = -1, strict=False) -> bytes:"
    assert (tags["read"].line, tags["read"].column, tags["read"].end_line) == (1, 8, 3)
    assert tags["read"].kind == "method" and tags["read"].scope == "Reader"


def test_non_ascii_columns_are_in_characters():
    tags = extract_tags("python", "größe = 1; ünïcode = größe\n".encode(), "u.py")
    assert [(t.name, t.column) for t in tags if t.role == "definition"] == [("größe", 0), ("ünïcode", 11)]  # 11 characters, 13 bytes


def test_broken_code_still_yields_what_parses():
    tags = extract_tags("python", b"def ok():\n    pass\n\ndef broken(:\n", "b.py")
    assert "ok" in {t.name for t in tags}
