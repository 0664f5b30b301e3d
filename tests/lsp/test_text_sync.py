"""Text sync: incremental edits in UTF-16/UTF-8 positions keep the exact text.

Random sequences of 20 edits with emoji, CJK, combining marks and CRLF are applied
both through lsp.documents and through an independent reference (text_reference.py,
positions counted by the codecs); the texts must agree after every edit, and the
incrementally edited tree-sitter tree must equal a fresh parse of the final text.
Fast default: 60 sequences; --runslow: 1,000.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from lsp import positions
from lsp.documents import DocumentStore
from text_reference import apply, position

PIECES = ["a", "x = 1", "\n", "\r\n", "def f(y):\n    return y\n", "é", "漢字", "😀", "👍🏽", "e\u0301", "  ", "(", ")", "\"s\"", "𝔘"]


def _change(text: str, start: int, end: int, new_text: str, encoding: str):
    (sl, sc), (el, ec) = position(text, start, encoding), position(text, end, encoding)
    rng = SimpleNamespace(start=SimpleNamespace(line=sl, character=sc), end=SimpleNamespace(line=el, character=ec))
    return SimpleNamespace(range=rng, text=new_text)


def _safe_offset(text: str, rnd: random.Random) -> int:
    offset = rnd.randint(0, len(text))
    # Never split a "\r\n": an LSP position cannot point between its two characters.
    if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
        offset -= 1
    return offset


def _run_sequence(seed: int, encoding: str, crlf: bool) -> None:
    rnd = random.Random(seed)
    text = "import os\n\nclass Café:\n    名前 = '😀'\n" * rnd.randint(1, 3)
    if crlf:
        text = text.replace("\n", "\r\n")
    store = DocumentStore()
    store.encoding = encoding
    uri = "file:///tmp/edit_test.py"
    store.open(uri, text, 1)
    for version in range(2, 22):
        start = _safe_offset(text, rnd)
        end = min(len(text), start + rnd.choice([0, 0, 1, 2, 5]))
        if 0 < end < len(text) and text[end - 1] == "\r" and text[end] == "\n":
            end += 1
        new_text = "".join(rnd.choice(PIECES) for _ in range(rnd.randint(0, 3)))
        if not crlf:
            new_text = new_text.replace("\r\n", "\n")
        change = _change(text, start, end, new_text, encoding)
        text = apply(text, start, end, new_text)
        document = store.change(uri, version, [change])
        assert document.text == text, f"seed {seed} version {version}"
    snapshot = store.snapshot(uri)
    if snapshot.tree is not None:
        from coder.syntax.document import Document

        fresh = Document(text, "python").tree
        assert str(snapshot.tree.root_node) == str(fresh.root_node), f"seed {seed}: tree differs"


def test_random_edit_sequences_match_the_reference(request):
    count = 1000 if request.config.getoption("--runslow") else 60
    for seed in range(count):
        _run_sequence(seed, ("utf-16", "utf-8", "utf-32")[seed % 3], crlf=seed % 4 == 1)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
def test_positions_round_trip_for_multibyte_text(encoding):
    text = "a😀b\r\n漢字x\nlast é\rafter"
    for offset in range(len(text) + 1):
        if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
            continue
        line, character = positions.position_at(text, offset, encoding)
        assert (line, character) == position(text, offset, encoding)
        assert positions.offset_at(text, line, character, encoding) == offset


def test_emoji_counts_two_utf16_units_and_four_utf8_bytes():
    text = "x = '😀' + y"
    assert positions.offset_at(text, 0, 8, "utf-16") == 7  # after the closing quote
    assert positions.offset_at(text, 0, 10, "utf-8") == 7
    # A position inside the emoji's units rounds down to its start.
    assert positions.offset_at(text, 0, 6, "utf-16") == 5


def test_positions_past_the_end_are_clamped():
    text = "ab\ncd"
    assert positions.offset_at(text, 0, 99) == 2
    assert positions.offset_at(text, 9, 0) == len(text)


def test_a_very_long_line_is_edited_exactly():
    long_line = "x" * 12_000 + "😀" + "y" * 3_000
    store = DocumentStore()
    uri = "file:///tmp/long.py"
    store.open(uri, long_line + "\n", 1)
    change = _change(long_line + "\n", 12_001, 12_001, "漢", "utf-16")
    document = store.change(uri, 2, [change])
    assert document.text == "x" * 12_000 + "😀漢" + "y" * 3_000 + "\n"


def test_full_sync_replaces_the_text():
    store = DocumentStore()
    uri = "file:///tmp/full.py"
    store.open(uri, "old\n", 1)
    document = store.change(uri, 2, [SimpleNamespace(text="new text\n")])
    assert document.text == "new text\n" and document.version == 2
    assert str(store.snapshot(uri).tree.root_node).startswith("(module")


def test_a_large_document_keeps_no_tree():
    store = DocumentStore(tree_limit=1000)
    uri = "file:///tmp/big.py"
    store.open(uri, "x = 1\n" * 500, 1)
    assert store.snapshot(uri).tree is None
    document = store.change(uri, 2, [_change(document_text := "x = 1\n" * 500, 0, 0, "y", "utf-16")])
    assert document.text == "y" + document_text


def test_a_document_beyond_the_limit_reaches_the_core_as_a_window_around_the_cursor():
    from lsp.completions import WINDOW_BEFORE_CHARS, window

    text = "".join(f"line_{n} = {n}\n" for n in range(100_000)) + "result = "
    line = text.count("\n")
    cut, cut_line, column = window(text, line, 9, limit=1_000_000)
    assert len(cut) < WINDOW_BEFORE_CHARS + 100
    assert cut.split("\n")[cut_line][:column] == "result = "
    assert cut.endswith("result = ")
    assert window("small\n", 0, 2, limit=100) == ("small\n", 0, 2)
