"""The ring buffer of recently opened and edited chunks: pure logic, no model."""

from __future__ import annotations

import threading

from coder.context.recent_chunks import RecentChunks, jaccard


def numbered(name: str, count: int) -> str:
    """A file of count distinct lines that mention name."""
    return "\n".join(f"value_{i} = {name}_step({i}, limit={i * 7})" for i in range(count)) + "\n"


PARSER = '''def parse_header(data):
    """The header fields of a packet."""
    version, flags = data[0], data[1]
    return Header(version, flags)
'''

CURSOR_FILE = "from packets import parse_header\n\n\ndef handle(data):\n    header = parse_header(data)\n    return header\n"


def paths(chunks):
    return [c.path for c in chunks]


def test_an_opened_file_gives_its_top_and_a_small_file_is_whole(tmp_path):
    recent = RecentChunks(window_lines=10, whole_file_lines=20)
    recent.note_opened("big.py", numbered("big", 100))
    recent.note_opened("small.py", PARSER)
    small, big = recent.chunks()
    assert small.path == "small.py" and small.text == PARSER.rstrip("\n")
    assert big.start_line == 0 and big.end_line == 10 and big.text.split("\n")[-1].startswith("value_9 ")


def test_an_edit_gives_the_lines_around_it():
    recent = RecentChunks(window_lines=10, whole_file_lines=20)
    recent.note_edited("big.py", numbered("big", 100), 50)
    (chunk,) = recent.chunks()
    assert chunk.start_line <= 50 < chunk.end_line and chunk.end_line - chunk.start_line == 10
    assert "value_50 = big_step(50" in chunk.text
    recent.note_edited("big.py", numbered("big", 100).rstrip("\n"), 99)  # near the end: still a full window
    assert recent.chunks()[0].end_line == 100 and recent.chunks()[0].start_line == 90


def test_a_new_edit_replaces_the_stale_chunk_of_the_same_lines():
    recent = RecentChunks(window_lines=10, whole_file_lines=20)
    text = numbered("big", 100)
    recent.note_edited("big.py", text, 40)
    recent.note_edited("big.py", text.replace("value_42 =", "value_42b ="), 42)  # typing there
    recent.note_edited("big.py", text, 90)  # elsewhere in the file: kept beside it
    chunks = recent.chunks()
    assert len(chunks) == 2 and "value_42b" in chunks[1].text and chunks[0].start_line > 80


def test_near_duplicates_from_other_files_are_dropped_keeping_the_newest():
    recent = RecentChunks()
    original = numbered("shared", 30)
    almost = original.replace("value_3 =", "value_three =").replace("value_4 =", "value_four =")
    recent.note_opened("a.py", original)
    recent.note_opened("other.py", numbered("other", 30))
    recent.note_opened("b.py", almost)
    assert paths(recent.chunks()) == ["b.py", "other.py"]


def test_jaccard_measures_shared_lines():
    a, b = frozenset({"x", "y", "z"}), frozenset({"y", "z", "w"})
    assert jaccard(a, b) == 0.5 and jaccard(a, a) == 1.0 and jaccard(a, frozenset()) == 0.0


def test_the_buffer_is_bounded_by_count_and_by_size():
    recent = RecentChunks(max_chunks=3)
    for i in range(6):
        recent.note_opened(f"f{i}.py", numbered(f"f{i}", 10))
    assert paths(recent.chunks()) == ["f5.py", "f4.py", "f3.py"]
    sized = RecentChunks(max_chars=1000)
    for i in range(10):
        sized.note_opened(f"f{i}.py", numbered(f"f{i}", 10))
    assert sum(len(c.text) for c in sized.chunks()) <= 1000 and sized.chunks()[0].path == "f9.py"


def test_forget_drops_a_files_chunks():
    recent = RecentChunks()
    recent.note_opened("a.py", numbered("a", 10))
    recent.note_opened("b.py", numbered("b", 10))
    recent.forget("./a.py")  # the same file, spelled differently
    assert paths(recent.chunks()) == ["b.py"]


def test_a_definition_the_cursor_uses_ranks_first():
    recent = RecentChunks()
    recent.note_opened("packets.py", PARSER)
    recent.note_opened("unrelated.py", numbered("other", 10))
    ranked = recent.snippets_for("handler.py", CURSOR_FILE, 4)
    assert paths(ranked) == ["packets.py"]  # the unrelated chunk shares no name: left out


def test_newer_chunks_rank_above_equally_similar_older_ones():
    recent = RecentChunks()
    recent.note_opened("old.py", "def parse_header(data):\n    return data[:4]\n")
    recent.note_opened("new.py", "def parse_header(data):\n    return data[:8]\n")
    assert paths(recent.snippets_for("handler.py", CURSOR_FILE, 4)) == ["new.py", "old.py"]


def test_the_current_document_and_chunks_repeating_the_window_are_left_out():
    recent = RecentChunks()
    recent.note_opened("packets.py", PARSER)
    recent.note_edited("handler.py", CURSOR_FILE, 4)  # the current document itself
    recent.note_opened("copy_of_handler.py", CURSOR_FILE + "\n# a copy\n")
    ranked = recent.snippets_for("handler.py", CURSOR_FILE, 4, visible_text=CURSOR_FILE)
    assert paths(ranked) == ["packets.py"]
    # Once the definition is in the prompt already, its chunk adds nothing.
    assert recent.snippets_for("handler.py", CURSOR_FILE, 4, visible_text=CURSOR_FILE + PARSER) == []


def test_is_current_and_has_other_than():
    recent = RecentChunks()
    assert not recent.has_other_than("a.py")
    recent.note_edited("a.py", PARSER, 1)
    first = recent.chunks()[0]
    assert recent.is_current(first) and not recent.has_other_than("a.py") and recent.has_other_than("b.py")
    recent.note_edited("a.py", PARSER + "\n", 1)
    assert not recent.is_current(first)


def test_feeding_from_threads_while_reading():
    recent = RecentChunks(max_chunks=8)
    errors = []

    def feed(worker):
        try:
            for i in range(200):
                recent.note_edited(f"w{worker}_{i % 12}.py", numbered(f"w{worker}x{i}", 30), i % 30)
                recent.snippets_for("cursor.py", CURSOR_FILE, 4)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=feed, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(recent) <= 8
