"""Context windows through real llama.cpp tokenization: the demo model (prefix-only)
and a tiny model whose vocabulary carries Qwen2.5-Coder's FIM tokens. The enclosing
headers per language (scope_window) need no model."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from coder.context.builder import ContextBuilder
from coder.context.recent_chunks import RecentChunks
from coder.context.scope_window import enclosing_headers
from coder.index.repo_index import RepoIndex
from coder.models.llama_backend import LlamaWorkerBackend
from tests.support.tiny_gguf import build_tiny_qwen_gguf

FIXTURE = Path(__file__).parent / "fixtures" / "context"


@pytest.fixture(scope="module")
def qwen_vocab(tmp_path_factory):
    path = build_tiny_qwen_gguf(tmp_path_factory.mktemp("tiny") / "tiny-qwen.gguf")
    with LlamaWorkerBackend(path, n_ctx=2048, n_threads=1) as backend:
        yield backend


@pytest.fixture(scope="module")
def gemma(demo_model):
    with LlamaWorkerBackend(demo_model, n_ctx=2048, n_threads=2) as backend:
        yield backend


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    index = RepoIndex(root)
    index.refresh()
    yield root, index
    index.close()


def report_text(root):
    return (root / "geometry" / "report.py").read_text()


def test_qwen_format_lays_out_repo_files_and_fim(qwen_vocab, repo):
    root, index = repo
    builder = ContextBuilder(qwen_vocab, index=index)
    text = report_text(root)
    prompt = builder.build(text, "python", str(root / "geometry/report.py"), 5, 20, budget_tokens=1024, max_new_tokens=32)
    assert prompt.format_name == "qwen-repo"
    specials = qwen_vocab.info().specials
    ids = prompt.token_ids
    assert ids[0] == specials.file_sep and specials.repo_name not in ids  # see formats._render_qwen_repo
    assert ids.count(specials.fim_prefix) == ids.count(specials.fim_suffix) == ids.count(specials.fim_middle) == 1
    assert ids.index(specials.fim_prefix) < ids.index(specials.fim_suffix) < ids.index(specials.fim_middle)
    # The hole starts at the cursor's line: what is typed of it follows the middle marker.
    typed = text.split("\n")[5][:20]
    assert qwen_vocab.detokenize(ids[ids.index(specials.fim_middle) + 1 :]) == typed
    rendered = qwen_vocab.detokenize(ids)
    assert "class Circle:" in rendered and "def scaled(self, factor):" in rendered  # the cross-file definition
    assert "geometry/shapes.py\n" in rendered and "geometry/report.py\n" in rendered
    assert {"kind": "definition", "path": "geometry/shapes.py", "name": "Circle"}.items() <= prompt.sources[0].items()
    assert prompt.prefix_text.endswith("bigger = circle.")
    assert prompt.suffix_text.startswith("scaled(2)")


def test_control_text_in_a_file_cannot_become_a_control_token(qwen_vocab, tmp_path):
    builder = ContextBuilder(qwen_vocab)
    text = 'marker = "<|fim_middle|><|file_sep|><|endoftext|>"\nx = '
    prompt = builder.build(text, "python", str(tmp_path / "a.py"), 1, 4, budget_tokens=512, max_new_tokens=16)
    specials = qwen_vocab.info().specials
    assert prompt.token_ids.count(specials.fim_middle) == 1
    assert qwen_vocab.detokenize(prompt.token_ids[prompt.token_ids.index(specials.fim_middle) + 1 :]) == "x ="
    assert prompt.held_back == " "
    assert specials.by_text["<|endoftext|>"] not in prompt.token_ids
    assert "<|fim_middle|><|file_sep|>" in qwen_vocab.detokenize(prompt.token_ids[:-1])


def test_budget_is_never_exceeded(qwen_vocab, gemma, repo):
    root, index = repo
    rng = random.Random(3)
    big = "\n".join(f"value_{i} = compute({i}, Circle({i}).area())" for i in range(400)) + "\n"
    for backend in (qwen_vocab, gemma):
        builder = ContextBuilder(backend, index=index)
        for _ in range(25):
            line = rng.randrange(400)
            column = rng.randrange(len(big.split("\n")[line]) + 1)
            budget, new = rng.choice([(256, 32), (512, 64), (1024, 64), (2048, 128)])
            prompt = builder.build(big, "python", str(root / "geometry" / "big.py"), line, column, budget_tokens=budget, max_new_tokens=new)
            assert len(prompt.token_ids) + new <= budget


def test_stable_prefix_is_identical_across_keystrokes(gemma, qwen_vocab, repo):
    root, index = repo
    for backend in (gemma, qwen_vocab):
        builder = ContextBuilder(backend, index=index)
        before = report_text(root)
        path = str(root / "geometry/report.py")
        first = builder.build(before, "python", path, 5, 20, budget_tokens=1024, max_new_tokens=32)
        after = before.replace("bigger = circle.", "bigger = circle.s", 1)
        second = builder.build(after, "python", path, 5, 21, budget_tokens=1024, max_new_tokens=32)
        assert first.stable_tokens > 10 and second.stable_tokens == first.stable_tokens
        assert second.token_ids[: second.stable_tokens] == first.token_ids[: first.stable_tokens]
        # Beyond the stable part the new prompt extends the old prefix: the KV cache is
        # reused up to the last token or two before the typed character.
        common = 0
        for a, b in zip(first.token_ids, second.token_ids):
            if a != b:
                break
            common += 1
        fim_suffix = backend.info().specials.fim_suffix
        prefix_end = first.token_ids.index(fim_suffix) if fim_suffix in first.token_ids else len(first.token_ids)
        assert common >= prefix_end - 2


def test_prefix_only_has_no_suffix_and_names_the_file(gemma, repo):
    root, index = repo
    builder = ContextBuilder(gemma, index=index)
    prompt = builder.build(report_text(root), "python", str(root / "geometry/report.py"), 5, 20, budget_tokens=1024, max_new_tokens=32)
    assert prompt.format_name == "prefix-only" and prompt.suffix_text == ""
    assert prompt.token_ids[0] == gemma.info().specials.bos
    rendered = gemma.detokenize(prompt.token_ids[1:])
    assert rendered.endswith("bigger = circle.")
    assert "# file: geometry/shapes.py" in rendered and "# file: geometry/report.py" in rendered


def test_levels_none_and_local_leave_other_files_out(qwen_vocab, repo):
    root, index = repo
    builder = ContextBuilder(qwen_vocab, index=index)
    for level in ("none", "local"):
        prompt = builder.build(report_text(root), "python", str(root / "geometry/report.py"), 5, 20, level=level)
        assert all(source["kind"] != "definition" for source in prompt.sources)
        assert "class Circle" not in qwen_vocab.detokenize(prompt.token_ids)
    none = builder.build(report_text(root), "python", str(root / "geometry/report.py"), 5, 20, level="none")
    assert none.suffix_text == ""


# -- recent chunks ---------------------------------------------------------------

POLYGON = '''class Polygon:
    """A closed shape given by its corners."""

    def __init__(self, corners):
        self.corners = corners

    def perimeter(self):
        return sum(abs(a - b) for a, b in zip(self.corners, self.corners[1:]))
'''
OUTLINE = "    outline = Polygon([(0, 0), (1, 0)])."


def report_using_polygon(root):
    """report.py with a line that uses Polygon, the cursor at its end (line 6)."""
    return report_text(root).replace("scaled(2)\n", "scaled(2)\n" + OUTLINE + "\n", 1)


def test_a_definition_from_a_recently_edited_file_is_in_the_prompt(qwen_vocab, gemma, repo):
    root, index = repo
    text = report_using_polygon(root)
    path = str(root / "geometry/report.py")
    assert not index.definitions("Polygon")  # polygon.py is being written: not saved, not indexed
    for backend in (qwen_vocab, gemma):
        recent = RecentChunks()
        recent.note_edited(str(root / "geometry/polygon.py"), POLYGON, 7)
        builder = ContextBuilder(backend, index=index, recent=recent)
        prompt = builder.build(text, "python", path, 6, len(OUTLINE), budget_tokens=1024, max_new_tokens=32)
        stable = backend.detokenize(prompt.token_ids[: prompt.stable_tokens])
        assert "class Polygon:" in stable and "def perimeter(self):" in stable
        kinds = [source["kind"] for source in prompt.sources]
        assert kinds.index("definition") < kinds.index("recent")  # the index's definitions first
        recent_source = prompt.sources[kinds.index("recent")]
        assert recent_source["path"] == "geometry/polygon.py" and recent_source["tokens"] > 10
    # Without an index, recent chunks still come in.
    builder = ContextBuilder(gemma, recent=recent)
    prompt = builder.build(text, "python", path, 6, len(OUTLINE), budget_tokens=1024, max_new_tokens=32)
    assert "class Polygon:" in gemma.detokenize(prompt.token_ids)
    assert [s["path"] for s in prompt.sources if s["kind"] == "recent"] == ["polygon.py"]


def test_recent_chunks_of_this_file_or_repeating_its_window_are_left_out(gemma, repo):
    root, index = repo
    text = report_text(root)
    path = str(root / "geometry/report.py")
    recent = RecentChunks()
    recent.note_opened(str(root / "geometry/report_copy.py"), text)  # the same lines elsewhere
    recent.note_edited(path, text, 5)  # the current document
    builder = ContextBuilder(gemma, index=index, recent=recent)
    prompt = builder.build(text, "python", path, 5, 20, budget_tokens=1024, max_new_tokens=32)
    assert [s for s in prompt.sources if s["kind"] == "recent"] == []
    assert "report_copy" not in gemma.detokenize(prompt.token_ids)


def test_recent_chunks_only_at_level_repo(gemma, repo):
    root, index = repo
    recent = RecentChunks()
    recent.note_edited(str(root / "geometry/polygon.py"), POLYGON, 7)
    builder = ContextBuilder(gemma, index=index, recent=recent)
    for level in ("none", "local"):
        prompt = builder.build(report_using_polygon(root), "python", str(root / "geometry/report.py"), 6, len(OUTLINE), level=level)
        assert all(source["kind"] == "local_prefix" for source in prompt.sources)
        assert "class Polygon" not in gemma.detokenize(prompt.token_ids)


def test_stable_prefix_is_identical_across_keystrokes_with_recent_chunks(gemma, qwen_vocab, repo):
    root, index = repo
    path = str(root / "geometry/report.py")
    for backend in (gemma, qwen_vocab):
        recent = RecentChunks()
        recent.note_opened(str(root / "geometry/polygon.py"), POLYGON)
        recent.note_edited(str(root / "geometry/outline.py"), "def outline_of(polygon):\n    return Polygon(polygon.corners)\n", 1)
        builder = ContextBuilder(backend, index=index, recent=recent)
        before = report_using_polygon(root)
        recent.note_edited(path, before, 6)  # the engine reports each keystroke in the document
        first = builder.build(before, "python", path, 6, len(OUTLINE), budget_tokens=1024, max_new_tokens=32)
        after = before.replace(OUTLINE, OUTLINE + "p", 1)
        recent.note_edited(path, after, 6)
        second = builder.build(after, "python", path, 6, len(OUTLINE) + 1, budget_tokens=1024, max_new_tokens=32)
        assert sum(1 for s in first.sources if s["kind"] == "recent") == 2
        assert second.sources[:3] == first.sources[:3]
        assert second.stable_tokens == first.stable_tokens
        assert second.token_ids[: second.stable_tokens] == first.token_ids[: first.stable_tokens]
        assert "class Polygon:" in backend.detokenize(first.token_ids[: first.stable_tokens])


# -- the enclosing scope in the prefix window ------------------------------------------

def long_reader(body_lines=150):
    """A class whose second method is longer than a small budget, and where the cursor goes."""
    lines = ["import os", "", "", "class Reader(Base):", '    """Reads records."""', ""]
    lines += ["    def open(self, name):", "        self.name = name", ""]
    lines += ["    def read(self, count, *, strict=False):"]
    lines += [f"        total_{i} = self.fetch({i}) + count * {i}" for i in range(body_lines)]
    cursor_line = len(lines)
    lines += ["        result = self.", "        return result", ""]
    return "\n".join(lines), cursor_line, len("        result = self.")


def test_the_enclosing_signatures_stay_in_a_window_too_small_for_the_body(gemma, qwen_vocab, tmp_path):
    text, line, column = long_reader()
    # The tiny vocabulary spends about a token per character: it gets a larger budget.
    for backend, budget in ((gemma, 300), (qwen_vocab, 1200)):
        builder = ContextBuilder(backend)
        prompt = builder.build(text, "python", str(tmp_path / "reader.py"), line, column, budget_tokens=budget, max_new_tokens=32)
        assert len(prompt.token_ids) + 32 <= budget
        assert prompt.window_text.startswith(
            "class Reader(Base):\n    # ...\n    def read(self, count, *, strict=False):\n        # ...\n        total_"
        )
        assert prompt.window_text.endswith("total_149 = self.fetch(149) + count * 149\n        result = self.")
        assert text[: text.index("result = self.") + len("result = self.")].endswith(prompt.prefix_text)
        assert "def read" not in prompt.prefix_text  # the file's own lines: the signature was elided
        assert "class Reader(Base):\n    # ...\n    def read(" in backend.detokenize(prompt.token_ids[prompt.stable_tokens :])


def test_the_scoped_window_holds_still_while_typing_and_after_enter(gemma, tmp_path):
    text, line, column = long_reader()
    path = str(tmp_path / "reader.py")
    builder = ContextBuilder(gemma)
    lines = text.split("\n")
    previous = None
    for typed in ("", "f", "fe", "fetch(count)", "fetch(count)\n        "):
        current = "\n".join(lines[:line] + [lines[line] + typed] + lines[line + 1 :])
        cursor_line = line + typed.count("\n")
        cursor_column = len(current.split("\n")[cursor_line])
        prompt = builder.build(current, "python", path, cursor_line, cursor_column, budget_tokens=300, max_new_tokens=32)
        assert prompt.window_text.startswith("class Reader(Base):\n")
        if previous is not None:  # the window only grows at its end: the KV cache keeps the rest
            assert prompt.window_text.startswith(previous.window_text)
            assert prompt.token_ids[: len(previous.token_ids) - 2] == previous.token_ids[: len(previous.token_ids) - 2]
        previous = prompt


def test_the_window_follows_the_cursor_into_another_definition(gemma, tmp_path):
    text, line, column = long_reader()
    text += "\n\ndef summary(reader):\n" + "\n".join(f"    part_{i} = reader.read({i})" for i in range(150)) + "\n    "
    lines = text.split("\n")
    builder = ContextBuilder(gemma)
    path = str(tmp_path / "reader.py")
    builder.build(text, "python", path, line, column, budget_tokens=300, max_new_tokens=32)
    prompt = builder.build(text, "python", path, len(lines) - 1, 4, budget_tokens=300, max_new_tokens=32)
    assert prompt.window_text.startswith("def summary(reader):\n    # ...\n    part_")
    assert "class Reader" not in prompt.window_text


def test_without_a_grammar_the_window_is_the_plain_end_of_the_prefix(gemma, tmp_path):
    text, line, column = long_reader()
    builder = ContextBuilder(gemma)
    prompt = builder.build(text, "text", str(tmp_path / "reader.txt"), line, column, budget_tokens=300, max_new_tokens=32)
    assert prompt.window_text == prompt.prefix_text and "# ..." not in prompt.window_text
    assert prompt.prefix_text.startswith("        total_")


SCOPE_CASES = {
    "python": ("class Shape:\n    def area(self):\n        x = 1\n        return x", ["class Shape:", "    def area(self):"]),
    "javascript": ("class Shape {\n  area() {\n    const x = 1;\n    return x;\n  }\n}\n", ["class Shape {", "  area() {"]),
    "typescript": ("namespace geo {\n  export function area(): number {\n    const x = 1;\n    return x;\n  }\n}\n", ["namespace geo {", "  export function area(): number {"]),
    "go": ("package geo\n\nfunc (s *Shape) Area() int {\n\tx := 1\n\treturn x\n}\n", ["func (s *Shape) Area() int {"]),
    "rust": ("impl Shape {\n    fn area(&self) -> i32 {\n        let x = 1;\n        x\n    }\n}\n", ["impl Shape {", "    fn area(&self) -> i32 {"]),
    "java": ("class Shape {\n    int area() {\n        int x = 1;\n        return x;\n    }\n}\n", ["class Shape {", "    int area() {"]),
    "c": ("int\narea(int side)\n{\n    int x = side;\n    return x;\n}\n", ["int", "area(int side)", "{"]),
    "cpp": ("namespace geo {\nclass Shape {\n  int area() {\n    int x = 1;\n    return x;\n  }\n};\n}\n", ["namespace geo {", "class Shape {", "  int area() {"]),
    "bash": ("area() {\n    local x=1\n    echo $x\n}\n", ["area() {"]),
}


@pytest.mark.parametrize("language", sorted(SCOPE_CASES))
def test_enclosing_headers_per_language(language):
    text, expected = SCOPE_CASES[language]
    # The cursor at the start of the last indented body line (`return x`, `echo $x`...).
    lines = text.split("\n")
    row = max(i for i, l in enumerate(lines) if l.startswith(("    ", "\t")) and not l.strip().startswith("}"))
    prefix = "\n".join(lines[:row]) + "\n" + lines[row][: len(lines[row]) - len(lines[row].lstrip())]
    headers = enclosing_headers(language, text, prefix, lines[row])
    assert [line for h in headers for line in h.text.rstrip("\n").split("\n")] == expected


def test_a_dedented_line_has_left_the_function():
    text = "def f(x):\n    y = x\n    return y\n\n"
    assert [h.text for h in enclosing_headers("python", text, text[:-1] + "    ", "    ")] == ["def f(x):\n"]
    assert enclosing_headers("python", text, text, "") == []


# -- the hint line ---------------------------------------------------------------------

HINT = "# Circle members: area(), scaled(factor)"


def test_the_hint_sits_right_above_the_cursor_line_outside_the_stable_part(gemma, qwen_vocab, repo):
    root, index = repo
    text = report_text(root)
    path = str(root / "geometry/report.py")
    for backend in (gemma, qwen_vocab):
        builder = ContextBuilder(backend, index=index)
        plain = builder.build(text, "python", path, 5, 20, budget_tokens=1024, max_new_tokens=32)
        hinted = builder.build(text, "python", path, 5, 20, budget_tokens=1024, max_new_tokens=32, hint=HINT)
        changing = backend.detokenize(hinted.token_ids[hinted.stable_tokens :])
        assert "    circle = Circle(radius)\n    " + HINT + "\n    bigger = circle." in changing
        assert HINT not in backend.detokenize(hinted.token_ids[: hinted.stable_tokens])
        assert hinted.token_ids[: hinted.stable_tokens] == plain.token_ids[: plain.stable_tokens]
        assert hinted.prefix_text == plain.prefix_text and HINT not in hinted.prefix_text
        hint_tokens = next(s["tokens"] for s in hinted.sources if s["kind"] == "hint")
        assert 5 < hint_tokens <= len(HINT) + 5 and all(s["kind"] != "hint" for s in plain.sources)
        # Only the hint and the cursor's line are new to the KV cache.
        common = next(i for i, (a, b) in enumerate(zip(plain.token_ids, hinted.token_ids)) if a != b)
        cursor_line_tokens = len(backend.tokenize("    bigger = circle.", special=False))
        fim_suffix = backend.info().specials.fim_suffix
        prefix_end = hinted.token_ids.index(fim_suffix) if fim_suffix in hinted.token_ids else len(hinted.token_ids)
        assert prefix_end - common <= hint_tokens + cursor_line_tokens + 2


def test_the_hint_is_indented_like_the_cursor_line_and_kept_to_one_line(gemma, tmp_path):
    text, line, column = long_reader()
    builder = ContextBuilder(gemma)
    prompt = builder.build(
        text, "python", str(tmp_path / "reader.py"), line, column, budget_tokens=300, max_new_tokens=32,
        hint="# Reader members:\nread(count), open(name)",
    )
    assert prompt.window_text.endswith("\n        # Reader members: read(count), open(name)\n        result = self.")
    assert len(prompt.token_ids) + 32 <= 300


# -- budgets ---------------------------------------------------------------------------

def test_budget_is_never_exceeded_with_recent_chunks_scopes_and_hints(qwen_vocab, gemma, repo):
    root, index = repo
    rng = random.Random(7)
    text, _, _ = long_reader(body_lines=300)
    lines = text.split("\n")
    recent = RecentChunks()
    recent.note_opened(str(root / "geometry/polygon.py"), POLYGON)
    for i in range(6):
        other = "\n".join(f"def fetch_{i}_{j}(self, count):\n    return self.fetch({j}) + count" for j in range(40))
        recent.note_edited(str(root / f"geometry/fetch_{i}.py"), other, rng.randrange(80))
    for backend in (qwen_vocab, gemma):
        builder = ContextBuilder(backend, index=index, recent=recent)
        for _ in range(30):
            line = rng.randrange(len(lines))
            column = rng.randrange(len(lines[line]) + 1)
            budget, new = rng.choice([(128, 16), (256, 32), (300, 32), (512, 64), (1024, 64), (2048, 128)])
            hint = rng.choice([None, HINT, "# " + "very long hint " * 20])
            prompt = builder.build(
                text, "python", str(root / "geometry/reader.py"), line, column,
                budget_tokens=budget, max_new_tokens=new, hint=hint,
            )
            assert len(prompt.token_ids) + new <= budget
            assert sum(s["tokens"] for s in prompt.sources) <= len(prompt.token_ids)
            # The cursor's line is always whole in the window (these lines are short).
            prefix = "\n".join(lines[:line] + [lines[line][:column]])
            assert prefix.endswith(prompt.prefix_text) and ("\n" + prompt.window_text).endswith("\n" + lines[line][:column])


def test_a_tree_the_caller_keeps_is_used_and_brace_languages_get_their_comment(gemma, tmp_path):
    from coder.syntax.document import Document

    lines = ["export class Reader {", "  read(count) {"]
    lines += [f"    const total_{i} = this.fetch({i}) + count * {i};" for i in range(150)]
    lines += ["    const result = this.", "  }", "}", ""]
    text = "\n".join(lines)
    line, column = 152, len("    const result = this.")
    document = Document(text, "javascript")
    kept = ContextBuilder(gemma).build(
        text, "javascript", str(tmp_path / "reader.js"), line, column, budget_tokens=300, max_new_tokens=32, tree=document.tree
    )
    parsed = ContextBuilder(gemma).build(text, "javascript", str(tmp_path / "reader.js"), line, column, budget_tokens=300, max_new_tokens=32)
    assert kept.token_ids == parsed.token_ids
    # The two headers are adjacent lines: one marker, after them.
    assert kept.window_text.startswith("export class Reader {\n  read(count) {\n    // ...\n    const total_")


def test_with_nothing_from_other_files_the_window_keeps_the_whole_budget(gemma, tmp_path):
    root = tmp_path / "solo"
    root.mkdir()
    lines = [f"value_{i} = compute_{i}({i}) + offset * {i}" for i in range(400)]
    (root / "long.py").write_text("\n".join(lines) + "\n")
    index = RepoIndex(root)
    index.refresh()
    try:
        text = (root / "long.py").read_text()
        path = str(root / "long.py")
        at = dict(budget_tokens=1024, max_new_tokens=32)
        repo_level = ContextBuilder(gemma, index=index).build(text, "python", path, 399, 10, level="repo", **at)
        local_level = ContextBuilder(gemma, index=index).build(text, "python", path, 399, 10, level="local", **at)
        assert not [s for s in repo_level.sources if s["kind"] in ("definition", "recent")]
        assert repo_level.token_ids == local_level.token_ids
        assert len(repo_level.token_ids) > 0.75 * (1024 - 32)
    finally:
        index.close()


# -- the hole starts at a line start: typing appends to the prompt ----------------------

HOLE_FILE = '''def area(width, height):
    """The area of a rectangle."""
    result = width * height
    return result


def perimeter(width, height):
    return 2 * (width + height)
'''


def _shared(a: list[int], b: list[int]) -> int:
    count = 0
    for x, y in zip(a, b):
        if x != y:
            break
        count += 1
    return count


def _typed_into(text: str, offset: int, typed: str) -> tuple[str, int, int]:
    """text with typed inserted at offset, and the cursor after it as (line, column)."""
    new = text[:offset] + typed + text[offset:]
    before = new[: offset + len(typed)]
    return new, before.count("\n"), len(before) - before.rfind("\n") - 1


def test_typing_on_a_line_only_appends_to_the_fim_prompt(qwen_vocab, tmp_path):
    builder = ContextBuilder(qwen_vocab)
    path = str(tmp_path / "rect.py")
    place = HOLE_FILE.index("    return result")
    base = HOLE_FILE[:place] + HOLE_FILE[place + len("    return result") :]  # the line emptied, its newline kept
    prompts = []
    for typed in ("    ", "    re", "    retu", "    return", "    return res"):
        text, line, column = _typed_into(base, place, typed)
        prompts.append(builder.build(text, "python", path, line, column, budget_tokens=1024, max_new_tokens=32).token_ids)
    middle = qwen_vocab.info().specials.fim_middle
    for earlier, later in zip(prompts, prompts[1:]):
        # Everything up to the middle marker is the same; at most the last typed token re-merges.
        assert _shared(earlier, later) >= len(earlier) - 1
        assert later.index(middle) == earlier.index(middle)
    suffix_start = prompts[-1].index(qwen_vocab.info().specials.fim_suffix)
    assert "perimeter" in qwen_vocab.detokenize(prompts[-1][suffix_start:prompts[-1].index(middle)])


def test_the_hole_stays_across_a_line_break_and_moves_when_the_suffix_changes(qwen_vocab, tmp_path):
    builder = ContextBuilder(qwen_vocab)
    path = str(tmp_path / "rect.py")
    place = HOLE_FILE.index("    return result")
    base = HOLE_FILE[:place] + HOLE_FILE[place + len("    return result") :]
    specials = qwen_vocab.info().specials

    def build(typed, text=None):
        new, line, column = _typed_into(text or base, place, typed)
        return builder.build(new, "python", path, line, column, budget_tokens=1024, max_new_tokens=32).token_ids

    first = build("    total = result")
    second = build("    total = result\n    ")  # Enter, auto-indented: the next line
    assert _shared(first, second) >= len(first) - 1
    # (the new line's indentation is held back: the model writes it with the code)
    assert qwen_vocab.detokenize(second[second.index(specials.fim_middle) + 1 :]) == "    total = result\n"
    # An edit after the cursor changes the suffix: the hole moves to the cursor's line.
    edited = base.replace("return 2 * (width + height)", "return 2 * width + 2 * height")
    moved = build("    total = result\n    ", edited)
    assert moved[-1] == specials.fim_middle  # the hole is the new line, its indentation held back
    # So does a typed part longer than MIDDLE_LINES lines.
    from coder.context.builder import MIDDLE_LINES

    long = build("".join(f"    x{n} = {n}\n" for n in range(MIDDLE_LINES + 1)) + "    y")
    assert qwen_vocab.detokenize(long[long.index(specials.fim_middle) + 1 :]) == "    y"


def test_a_prefix_only_model_gets_the_typed_text_in_its_prefix(gemma, tmp_path):
    builder = ContextBuilder(gemma)
    text = "def area(width, height):\n    return wid"
    prompt = builder.build(text, "python", str(tmp_path / "a.py"), 1, 14, budget_tokens=512, max_new_tokens=16)
    assert prompt.format_name == "prefix-only"
    assert gemma.detokenize(prompt.token_ids).endswith("def area(width, height):\n    return wid")


def test_blanks_typed_after_code_are_held_back_from_a_fim_prompt(qwen_vocab, tmp_path):
    builder = ContextBuilder(qwen_vocab)
    specials = qwen_vocab.info().specials
    text = "def add(a, b):\n    return \n"
    prompt = builder.build(text, "python", str(tmp_path / "a.py"), 1, 11, budget_tokens=512, max_new_tokens=16)
    assert prompt.held_back == " "
    assert qwen_vocab.detokenize(prompt.token_ids[prompt.token_ids.index(specials.fim_middle) + 1 :]) == "    return"
    kept = builder.build(text, "python", str(tmp_path / "a.py"), 1, 11, budget_tokens=512, max_new_tokens=16,
                         hold_back_blanks=False)
    assert kept.held_back == "" and qwen_vocab.detokenize(kept.token_ids).endswith("    return ")
    # Indentation too: the model writes it with the code that follows.
    indented = builder.build("def f():\n    \n", "python", str(tmp_path / "b.py"), 1, 4, budget_tokens=512,
                             max_new_tokens=16)
    assert indented.held_back == "    "
    assert indented.token_ids[-1] == specials.fim_middle


def test_typing_on_into_the_next_line_keeps_the_snippets_until_the_hole_moves(qwen_vocab, repo):
    """The snippets come first in a repository-level prompt: choosing them again at
    each new line would evaluate the whole prompt again (700 tokens, 20 s here)."""
    root, index = repo
    builder = ContextBuilder(qwen_vocab, index=index)
    path = str(root / "geometry/report.py")
    base = report_text(root)
    place = base.index("    return f")  # typed on a line of its own above the return

    def build(typed, text=None):
        new, line, column = _typed_into(text or base, place, typed)
        return builder.build(new, "python", path, line, column, budget_tokens=1024, max_new_tokens=32, level="repo")

    def definitions(prompt):
        return [s.get("name") for s in prompt.sources if s["kind"] == "definition"]

    first = build("    size = 2\n")
    second = build("    size = 2\n    unit = unit_square_area()\n")  # names another definition
    assert definitions(second) == definitions(first) and "unit_square_area" not in definitions(first)
    assert _shared(first.token_ids, second.token_ids) >= len(first.token_ids) - 2
    # Once the hole moves (here: the code below the cursor changed), they are chosen afresh.
    edited = base.replace("doubled {bigger", "twice {bigger")
    moved = build("    size = 2\n    unit = unit_square_area()\n    u = 1\n", edited)
    assert "unit_square_area" in definitions(moved)


LIB = """def alpha(value):
    \"\"\"The first helper.\"\"\"
    return value + 1


def beta(value):
    \"\"\"The second helper.\"\"\"
    return value * 2
"""

MAIN = """from lib import alpha, beta


def run():
    a = alpha(1)
    return a
"""


def _lib_and_main(tmp_path, main_text: str) -> tuple[RepoIndex, str]:
    """A repository of lib.py (LIB) and main.py, indexed; the index and main.py's path."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "lib.py").write_text(LIB)
    (root / "main.py").write_text(main_text)
    index = RepoIndex(root)
    index.refresh()
    return index, str(root / "main.py")


def test_snippets_chosen_afresh_keep_the_order_the_last_prompt_showed(qwen_vocab, tmp_path):
    """When the hole moves and the names near the cursor rank the definitions anew, the
    ones the last prompt showed stay first and in their order: only what follows the
    first changed snippet is evaluated again, not the whole prompt."""
    index, path = _lib_and_main(tmp_path, MAIN)
    builder = ContextBuilder(qwen_vocab, index=index)
    place = MAIN.index("    return a")

    def build(typed, text=MAIN):
        new, line, column = _typed_into(text, place, typed)
        return builder.build(new, "python", path, line, column, budget_tokens=1024, max_new_tokens=32, level="repo")

    def definitions(prompt):
        return [s.get("name") for s in prompt.sources if s["kind"] == "definition"]

    try:
        first = build("    x = 2\n")  # alpha is nearest
        # beta is used nearest now, and the hole moves (the code below the cursor changed).
        moved = build("    b = beta(2)\n    c = 3\n", MAIN.replace("return a", "return a + 0"))
    finally:
        index.close()
    assert definitions(first) == ["alpha", "beta"]
    assert definitions(moved) == ["alpha", "beta"]  # ranked afresh it would be beta, alpha
    snippet_tokens = sum(s["tokens"] for s in first.sources if s["kind"] == "definition")
    assert _shared(first.token_ids, moved.token_ids) >= snippet_tokens


LONG_MAIN = "from lib import alpha\n\n\ndef run():\n    a = alpha(1)\n" + "".join(
    f"    v{n} = a + {n}\n" for n in range(30)) + "    return a\n"


def test_a_shown_definition_stays_while_the_window_still_shows_its_use(qwen_vocab, tmp_path):
    """The ranking reads the names of a few lines around the cursor; once the line
    using alpha is more than that above the cursor, a fresh ranking has no alpha.
    The window still shows its use, so the prompt keeps it (and its head stays the
    same tokens); when no line uses it any more, it goes."""
    index, path = _lib_and_main(tmp_path, LONG_MAIN)
    builder = ContextBuilder(qwen_vocab, index=index)

    def build(text, after, by=builder):
        new, line, column = _typed_into(text, text.index(after) + len(after), "    x = 2\n")
        return by.build(new, "python", path, line, column, budget_tokens=1024, max_new_tokens=32, level="repo")

    def definitions(prompt):
        return [s.get("name") for s in prompt.sources if s["kind"] == "definition"]

    try:
        near = build(LONG_MAIN, "    a = alpha(1)\n")
        far = build(LONG_MAIN, "    v29 = a + 29\n")  # 30 lines below the use
        unused_text = LONG_MAIN.replace("from lib import alpha\n", "").replace("alpha(1)", "1")
        gone = build(unused_text, "    v29 = a + 29\n")
        fresh = build(LONG_MAIN, "    v29 = a + 29\n", ContextBuilder(qwen_vocab, index=index))
    finally:
        index.close()
    assert definitions(near) == ["alpha"]
    assert definitions(fresh) == []  # what a fresh ranking at that cursor gives
    assert definitions(far) == ["alpha"]
    snippet_tokens = sum(s["tokens"] for s in near.sources if s["kind"] == "definition")
    assert _shared(near.token_ids, far.token_ids) >= snippet_tokens
    assert definitions(gone) == []
