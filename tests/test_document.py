"""Incremental reparsing gives the same tree as a fresh parse, edit after edit."""

from __future__ import annotations

import random

import pytest

from coder.syntax.document import Document

SOURCES = {
    "python": 'def grüße(name: str) -> str:\n    """Sage hallo — 👋."""\n    return f"hallo {name}"\n\n\nclass Ä:\n    x = [1, 2, 3]\n',
    "javascript": "function añadir(a, b) {\n  return a + b; // suma ✓\n}\nconst x = { 'ключ': 1 };\n",
    "go": 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("héllo, 世界")\n}\n',
    "text": "plain text ✓\nno grammar here\n",
}
INSERTS = ["x", "(", ")", "\n", "    ", "é", "世界", "👋", ":", "{", "}", "'", '"', "return 1\n", ""]


@pytest.mark.parametrize("language", sorted(SOURCES))
def test_random_edits_match_a_fresh_parse(language):
    rng = random.Random(language)
    document = Document(SOURCES[language], language)
    for _ in range(300):
        start = rng.randrange(len(document.text) + 1)
        end = min(len(document.text), start + rng.choice([0, 0, 1, 2, 5]))
        (start_line, start_col), (end_line, end_col) = document.position_at(start), document.position_at(end)
        new_text = rng.choice(INSERTS)
        expected_text = document.text[:start] + new_text + document.text[end:]
        document.apply_edit(start_line, start_col, end_line, end_col, new_text)
        assert document.text == expected_text
        fresh = Document(document.text, language)
        if fresh.tree is None:
            assert document.tree is None
        else:
            assert str(document.tree.root_node) == str(fresh.tree.root_node)
            assert document.tree.root_node.end_byte == len(document.text.encode("utf-8"))


def test_positions_and_node_lookup():
    document = Document(SOURCES["python"], "python")
    offset = document.offset_at(2, 11)
    assert document.position_at(offset) == (2, 11)
    assert document.text[offset:].startswith('f"hallo')
    node = document.node_at(0, 5)
    assert node is not None and node.type == "identifier" and node.text.decode() == "grüße"
    assert document.offset_at(99, 0) == len(document.text)
    assert Document("x", "text").node_at(0, 0) is None
