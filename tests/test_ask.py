"""Ask in the core: what context a question gets, how the answer streams and how a
conversation continues. The chat model is scripted here, to pin the mechanics down;
test_ask_real_model.py asks the real model."""

from __future__ import annotations

import pytest

from coder.ask import AskSession, AskTarget, build_ask_context, parse_target
from coder.ask.context import AskBudget
from coder.errors import UsageError
from coder.index.repo_index import RepoIndex
from support.sample_repo import make_sample_repo
from support.scripted_backend import ScriptedBackend


@pytest.fixture
def repo(tmp_path):
    return make_sample_repo(tmp_path / "sample")


@pytest.fixture
def index(repo, tmp_path):
    index = RepoIndex(repo, cache_path=tmp_path / "index.sqlite3")
    index.refresh()
    yield index
    index.close()


def test_a_selection_brings_the_definitions_it_uses_from_other_files(index):
    target = AskTarget("report.py", 14, 16)  # summary(): uses Circle, Square, describe, largest
    context = build_ask_context(index, target, "what does this return?")
    kinds = [(s.kind, s.name, s.path) for s in context.sources]
    assert kinds[-1] == ("selection", "", "report.py") or kinds[0] == ("selection", "", "report.py")
    assert ("definition", "Circle", "shapes.py") in kinds
    assert ("definition", "Square", "shapes.py") in kinds
    # describe and largest are in report.py but outside the selection: they are sent too
    assert ("definition", "describe", "report.py") in kinds
    assert "return math.pi * self.radius ** 2" in context.text  # the class comes whole (it is short)
    assert "shapes = [Circle(1.5), Square(2)]" in context.text
    assert "Repository map" in context.text
    # The code asked about comes last, next to the question.
    assert context.text.rstrip().endswith("```")
    assert context.text.rindex("The code the question is about") > context.text.index("class Circle")


def test_a_name_in_the_question_brings_its_definition(index):
    context = build_ask_context(index, AskTarget(), "How is Square.area computed?")
    assert any(s.name == "Square" and s.path == "shapes.py" for s in context.sources)
    assert "return self.side * self.side" in context.text
    # A repository question has no code part.
    assert not any(s.kind in ("file", "selection") for s in context.sources)


def test_the_whole_file_is_sent_when_it_fits_and_a_window_around_the_line_when_not(index):
    whole = build_ask_context(index, AskTarget("stats.py"), "what is missing?")
    file_source = next(s for s in whole.sources if s.kind == "file")
    assert (file_source.line, file_source.end_line) == (0, 12)
    long_text = "\n".join(f"value_{n} = {n}" for n in range(2000)) + "\n"
    target = AskTarget("stats.py", 1500, text=long_text)
    windowed = build_ask_context(index, target, "what is this?", budget=AskBudget(code_tokens=300))
    part = next(s for s in windowed.sources if s.kind == "file")
    assert part.line <= 1500 <= part.end_line
    assert 20 < part.end_line - part.line < 300
    assert "value_1500 = 1500" in windowed.text and "value_10 = 10\n" not in windowed.text


def test_a_line_outside_the_file_is_a_usage_error(index):
    with pytest.raises(UsageError, match="line 99 is outside the file"):
        build_ask_context(index, AskTarget("stats.py", 98), "why?")


def test_the_empty_line_after_the_last_newline_is_a_place_to_ask_from(index):
    """The TUI's editor puts the cursor there (a file ending in a newline shows one
    more, empty, line); one line further is outside."""
    text = (index.root / "stats.py").read_text()
    assert text.endswith("\n")
    last = text.count("\n")  # 0-based: the empty line after the final newline
    context = build_ask_context(index, AskTarget("stats.py", last), "what comes next?")
    assert any(s.kind == "file" for s in context.sources)
    with pytest.raises(UsageError, match="outside the file"):
        build_ask_context(index, AskTarget("stats.py", last + 1), "why?")


def test_the_answer_streams_and_names_its_sources(index):
    backend = ScriptedBackend(["It returns the description of the largest shape."], piece_chars=5)
    session = AskSession(backend, index)
    reply = session.ask("what does summary return?", AskTarget("report.py", 15))
    assert [s.path for s in reply.sources]  # known before the first piece
    pieces = list(reply)
    assert len(pieces) > 3 and "".join(pieces) == reply.text
    assert reply.text == "It returns the description of the largest shape."
    request = backend.chat_requests[0]
    assert [m.role for m in request.messages] == ["system", "user"]
    assert request.channel == "ask" and request.temperature == 0.0
    assert "Question about report.py:16: what does summary return?" in request.messages[1].content


def test_a_follow_up_sees_the_conversation_without_resending_its_context(index):
    backend = ScriptedBackend(["Circle(1.5) has the larger area.", "About 7.07."])
    session = AskSession(backend, index)
    list(session.ask("which shape is largest in summary?", AskTarget("report.py", 15)))
    list(session.ask("what is its area?", AskTarget("report.py", 15)))
    first, second = backend.chat_requests
    messages = second.messages
    assert [m.role for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1].content == first.messages[1].content
    assert messages[2].content == "Circle(1.5) has the larger area."
    follow_up = messages[3].content
    assert "Follow-up question about report.py:16: what is its area?" in follow_up
    assert "Repository map" not in follow_up  # the first turn carried it
    assert "class Circle" not in follow_up  # so it did the definition and the file


def test_a_cancelled_answer_is_not_kept(index):
    backend = ScriptedBackend(["a long answer " * 20, "second"], piece_chars=4, delay_s=0.001)
    session = AskSession(backend, index)
    reply = session.ask("explain shapes.py", AskTarget("shapes.py"))
    for n, _ in enumerate(reply):
        if n == 2:
            reply.cancel()
    assert reply.cancelled and session.turns == []
    list(session.ask("and now?", AskTarget("shapes.py")))
    assert [m.role for m in backend.chat_requests[1].messages] == ["system", "user"]


def test_old_turns_are_dropped_when_the_window_is_full(index):
    class SmallWindow(ScriptedBackend):
        def info(self):
            info = super().info()
            return type(info)(**{**info.__dict__, "context_length": 6000})

    backend = SmallWindow(lambda request: "x" * 1500)
    session = AskSession(backend, index, answer_tokens=500)
    for question in ("first?", "second?", "third?"):
        list(session.ask(question, AskTarget("report.py", 15)))
    assert len(session.turns) < 3
    last = backend.chat_requests[-1].messages
    assert "first?" not in " ".join(m.content for m in last)
    # The turn that carried the map was dropped, so the map went again.
    assert "Repository map" in last[-1].content or any("Repository map" in m.content for m in last[1:-1])


def test_an_empty_question_is_refused(index):
    with pytest.raises(UsageError, match="question is empty"):
        AskSession(ScriptedBackend([]), index).ask("   ")


@pytest.mark.parametrize(("value", "expected"), [
    ("src/app.py", ("src/app.py", None, None)),
    ("src/app.py:12", ("src/app.py", 11, None)),
    ("src/app.py:12-20", ("src/app.py", 11, 19)),
])
def test_targets_parse(value, expected):
    path, start, end = parse_target(value)
    assert (path.as_posix(), start, end) == expected


@pytest.mark.parametrize(("value", "message"), [
    ("a.py:0", "lines start at 1"),
    ("a.py:9-3", "end line comes before the start line"),
])
def test_bad_targets_are_one_line_errors(value, message):
    with pytest.raises(UsageError, match=message):
        parse_target(value)


@pytest.mark.parametrize(("args", "message"), [
    (["   "], "the question is empty; write what you want to know, in quotes"),
    (["why?", "missing.py"], "missing.py: no such file"),
    (["why?", "stats.py:99"], "stats.py: line 99 is outside the file (13 lines)"),
    (["why?", "docs:3"], "docs: is a directory; a line needs a file"),
    (["why?", "stats.py", "--max-tokens", "0"], "--max-tokens must be at least 1"),
])
def test_coder_ask_bad_input_is_one_line_before_any_model_loads(repo, monkeypatch, capsys, args, message):
    from coder.cli.main import main

    monkeypatch.chdir(repo)
    assert main(["ask", *args]) == 2
    assert capsys.readouterr().err.strip() == f"coder: {message}"
