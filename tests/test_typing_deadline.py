"""The typing deadline: a suggestion asked for while typing is shown early with whole
words, the model finishes it in the background, and typing on shows the rest from the
cache. Real model (Qwen2.5-Coder-0.5B), greedy."""

from __future__ import annotations

import subprocess

import pytest

from coder.completion.continuation import shown_part

AREA = "def area(width, height):\n    \n    return result\n"  # the cursor on the indented empty line


@pytest.mark.parametrize(("raw", "shown"), [
    ("result = wid", "result = "),  # the last word may still grow
    ("return self.", "return self."),
    ("    ret", None),  # nothing whole to show yet
    ("", None),
    ("x = f(a, b)", "x = f(a, b)"),
])
def test_only_whole_words_are_shown_early(raw, shown):
    assert shown_part(raw) == shown


@pytest.mark.model
def test_shown_at_the_deadline_then_finished_in_the_background(tmp_path, qwen_model):
    from coder.workspace import Workspace

    (tmp_path / "area.py").write_text(AREA)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    path = str(tmp_path / "area.py")
    with Workspace.open(tmp_path, explicit_model=str(qwen_model)) as workspace:
        asked = workspace.engine.complete(workspace.completion_request(path, AREA, 1, 4))
        assert asked.tokens["finish_reason"] != "deadline" and "=" in asked.text, asked.text
        # The same position again, with the cache emptied, asked for by typing with a
        # deadline no model meets: the first whole words come back at once.
        workspace.engine.cache.forget(path)
        typing = workspace.completion_request(path, AREA, 1, 4, automatic=True, deadline_ms=1)
        assert typing.deadline_ms == 1
        early = workspace.engine.complete(typing)
        assert early.tokens["finish_reason"] == "deadline", early.tokens
        assert early.text and asked.text.startswith(early.text) and len(early.text) < len(asked.text)
        workspace.engine.wait_for_continuations(timeout=120)
        # Typing the first character of what was shown: the rest of the whole line,
        # from the cache, with no model call.
        typed = AREA.replace("    \n", "    " + early.text[0] + "\n", 1)
        later = workspace.engine.complete(workspace.completion_request(path, typed, 1, 5, automatic=True))
    assert later.cached, later.tokens
    assert early.text[0] + later.text == asked.text


@pytest.mark.model
def test_an_explicit_request_waits_for_the_whole_suggestion(tmp_path, qwen_model):
    from coder.workspace import Workspace

    (tmp_path / "area.py").write_text(AREA)
    with Workspace.open(tmp_path, explicit_model=str(qwen_model), overrides={"completion": {"typing_deadline_ms": 1}}) \
            as workspace:
        explicit = workspace.completion_request(str(tmp_path / "area.py"), AREA, 1, 4)
        assert explicit.deadline_ms is None
        automatic = workspace.completion_request(str(tmp_path / "area.py"), AREA, 1, 4, automatic=True)
        assert automatic.deadline_ms == 1
        suggestion = workspace.engine.complete(explicit)
    assert suggestion.tokens["finish_reason"] != "deadline" and "=" in suggestion.text
