"""One-file updates of unsaved buffers parse incrementally and find exactly what a
full parse finds."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import tree_sitter

from coder.index.repo_index import RepoIndex
from coder.index.tags import extract_tags, parse_incrementally
from coder.syntax.languages import new_parser

# A real file of some size with classes, nested functions and non-ASCII text.
SOURCE = Path(__file__).resolve().parents[1] / "coder" / "context" / "repo_map.py"


def random_edit(rng: random.Random, text: str) -> str:
    start = rng.randrange(len(text) + 1)
    end = min(len(text), start + rng.choice((0, 0, 1, 3, 20, 200)))
    insert = rng.choice(("", "x", "é", "\n", "    ", "def added(a, b):\n    return a\n", "class New:\n    pass\n", "(", ")", "'", "  # ü\n"))
    return text[:start] + insert + text[end:]


def by_position(tags):
    return sorted(tags, key=lambda t: (t.line, t.column, t.role, t.name))


def test_incremental_buffer_updates_equal_a_full_parse(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(SOURCE, root / "mapping.py")
    index = RepoIndex(root, tmp_path / "cache.sqlite3")
    index.refresh()
    rng = random.Random(15)
    text = (root / "mapping.py").read_text()
    text = text.replace("# Kinds whose header", "# Kinds (ünïcode) whose header")
    for _ in range(120):
        text = random_edit(rng, text)
        index.update_file("mapping.py", text)
        expected = extract_tags("python", text.encode("utf-8"), "mapping.py")
        got = index.definitions_in("mapping.py") + index.references_in("mapping.py")
        assert by_position(got) == by_position(expected)
    assert index.read_text("mapping.py") == text


def test_the_edit_worked_out_from_two_texts_reuses_the_old_tree():
    before = SOURCE.read_bytes()
    middle = before.index(b"\n", len(before) // 2) + 1
    after = before[:middle] + b"x_added = 1\n" + before[middle:]
    old_tree = new_parser("python").parse(before)
    new_tree = parse_incrementally("python", after, old_tree, before)
    assert str(new_tree.root_node) == str(new_parser("python").parse(after).root_node)
    changed = old_tree.changed_ranges(new_tree)
    assert changed and all(r.start_byte >= middle - 200 and r.end_byte <= middle + 200 for r in changed)


def test_a_callers_edited_tree_is_used_as_given(tmp_path):
    """The LSP keeps its own tree of the document and edits it as the text changes."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "a.py").write_text("def first():\n    pass\n")
    index = RepoIndex(root, tmp_path / "cache.sqlite3")
    index.refresh()
    before = b"def first():\n    pass\n"
    after = b"def first():\n    pass\n\n\ndef second():\n    first()\n"
    tree = new_parser("python").parse(before)
    tree.edit(start_byte=len(before), old_end_byte=len(before), new_end_byte=len(after),
              start_point=(2, 0), old_end_point=(2, 0), new_end_point=(6, 0))
    index.update_file("a.py", after.decode(), old_tree=tree)
    assert [t.name for t in index.definitions_in("a.py")] == ["first", "second"]
    assert [(t.name, t.line) for t in index.references_in("a.py")] == [("first", 5)]
    assert isinstance(tree, tree_sitter.Tree)


def test_fields_of_same_named_classes_stay_as_a_full_parse_finds_them(tmp_path):
    """Only the first of two `Meta` classes' fields is tagged: an edit in the second
    must not bring its fields back, nor an edit in the first lose them."""
    root = tmp_path / "repo"
    root.mkdir()
    text = (
        "class A:\n    class Meta:\n        ordering = 1\n\n\n"
        "class B:\n    class Meta:\n        ordering = 2\n        label = 'b'\n\n\n"
        "x = 1; y = 2\n"
    )
    (root / "models.py").write_text(text)
    index = RepoIndex(root, tmp_path / "cache.sqlite3")
    index.refresh()
    index.update_file("models.py", text)
    edits = [
        text.replace("ordering = 2", "ordering = 3"),
        text.replace("ordering = 1\n", ""),
        text.replace("x = 1; y = 2", "x = 10; y = 2"),
        text.replace("class A:", "class A(Base):"),
        text + "\n\ndef tail():\n    return Meta\n",
    ]
    for edited in edits:
        index.update_file("models.py", edited)
        expected = extract_tags("python", edited.encode("utf-8"), "models.py")
        assert by_position(index.definitions_in("models.py") + index.references_in("models.py")) == by_position(expected)


def test_a_typed_character_is_queried_again_only_around_it(tmp_path):
    from coder.index.buffer_tags import buffer_tags

    text = SOURCE.read_bytes()
    first = buffer_tags("m.py", "python", text)
    middle = text.index(b"\n    def ", len(text) // 2) + 1
    typed = buffer_tags("m.py", "python", text[:middle] + b"    x = 1\n" + text[middle:], first)
    assert typed.ranged
    assert by_position(typed.tags) == by_position(extract_tags("python", text[:middle] + b"    x = 1\n" + text[middle:], "m.py"))
