"""Tags queries per language.

Each directory under tests/fixtures/tags/ is named after a language id and holds one
source file and expected.jsonl: every tag the file must yield, in source order, one
JSON object a line with name, kind, role, line (1-based, as an editor shows it) and,
for definitions, scope. The definitions were checked by hand against the sources.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coder.index.tags import extract_counts, extract_rows, extract_tags, has_tags
from coder.syntax.languages import LANGUAGES

FIXTURES = Path(__file__).parent / "fixtures" / "tags"
LANGUAGE_DIRS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def test_every_language_with_a_query_has_a_fixture():
    assert LANGUAGE_DIRS == sorted(lang for lang in LANGUAGES if has_tags(lang))


@pytest.mark.parametrize("language", LANGUAGE_DIRS)
def test_fixture_yields_expected_tags(language):
    directory = FIXTURES / language
    source = next(p for p in directory.iterdir() if p.name != "expected.jsonl")
    lines = (directory / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    expected = [json.loads(line) for line in lines if line.strip()]
    tags = extract_tags(language, source.read_bytes(), source.name)
    actual = []
    for tag in tags:
        row = {"name": tag.name, "kind": tag.kind, "role": tag.role, "line": tag.line + 1}
        if tag.role == "definition":
            row["scope"] = tag.scope
        actual.append(row)
    assert [r for r in actual if r["role"] == "definition"] == [r for r in expected if r["role"] == "definition"]
    assert [r for r in actual if r["role"] == "reference"] == [r for r in expected if r["role"] == "reference"]
    assert all(t.path == source.name and t.end_line >= t.line for t in tags)


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


def test_python_extras_for_grounding():
    source = (FIXTURES / "python" / "sample.py").read_bytes()
    tags = [t for t in extract_tags("python", source, "sample.py") if t.role == "definition"]
    by_name = {t.name: t for t in tags}
    assert (by_name["moved"].kind, by_name["moved"].scope) == ("field", "Point")  # self.x in a method
    assert "z" not in by_name  # `other.z = 1` is not a field of the class
    assert by_name["LIMIT"].kind == "constant" and by_name["max_size"].kind == "variable"
    assert [t.signature for t in tags if t.kind == "import"] == [
        "os.path", "numpy as np", "OrderedDict as OD", "helper", "Base as B", "ctypes"
    ]
    # What a method body defines is the method's own, not the class's; its fields are the class's.
    assert (by_name["ctypes"].scope, by_name["release"].scope, by_name["release"].kind) == ("acquire", "acquire", "function")
    assert (by_name["handle"].scope, by_name["handle"].kind) == ("Locker", "field")
    assert by_name["move"].signature == 'def move(self, dx: int, dy: int = 0) -> "Point":'
    assert by_name["grüße"].signature == "def grüße(name):"  # the trailing comment is cut
    assert by_name["fetch"].signature == "async def fetch(url: str) -> bytes:"
    assert by_name["Point"].end_line == by_name["ordering"].line  # whole class, nested class included


def test_reference_columns_are_in_characters():
    tags = extract_tags("python", "größe = f(x)\nördnung = g.h(größe)\n".encode(), "u.py")
    refs = {(t.name, t.line, t.column) for t in tags if t.role == "reference"}
    assert refs == {("f", 0, 8), ("x", 0, 10), ("h", 1, 12), ("größe", 1, 14)}  # bytes: 13, 15


def _counted(definitions, references) -> tuple[list, dict, dict]:
    every, bare = {}, {}
    for _, _, name, kind in references:
        every[name] = every.get(name, 0) + 1
        if kind == "name":
            bare[name] = bare.get(name, 0) + 1
    return definitions, every, bare


@pytest.mark.parametrize("language", LANGUAGE_DIRS)
def test_the_index_counts_the_references_the_positions_list(language):
    # A cold build stores only counts (extract_counts); they must be those of the
    # references extract_rows lists with positions, definitions the same rows.
    directory = FIXTURES / language
    source = next(p for p in directory.iterdir() if p.name != "expected.jsonl").read_bytes()
    counted = extract_counts(language, source)
    assert counted[1] and counted == _counted(*extract_rows(language, source))


def test_counted_references_of_non_ascii_and_repeated_names():
    source = "größe = f(größe)\nf(größe); f(x)\nclass A(B): pass\n".encode()
    definitions, counts, arguments = extract_counts("python", source)
    assert counts == {"f": 3, "größe": 2, "x": 1, "B": 1} and arguments == {"größe": 2, "x": 1}
    assert [row[0] for row in definitions] == ["größe", "A"]
