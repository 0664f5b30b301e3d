"""`coder tui` in a real terminal (tmux), on the default model (Qwen2.5-Coder-0.5B-Instruct
serving completion and chat): the tree, the editor, a completion and an answer appear
on screen; it quits on its key, asking about unsaved changes first."""

from __future__ import annotations

import re
import shutil
import sys

import pytest

from support.sample_repo import make_sample_repo
from support.tmux_session import TmuxSession, terminal_env

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (make system-deps)")


@pytest.fixture
def repo(tmp_path):
    return make_sample_repo(tmp_path / "sample")


@pytest.fixture
def session_factory():
    sessions = []

    def start(repo, *args, **env):
        session = TmuxSession([sys.executable, "-m", "coder", *args, "tui", "."], cwd=repo, env=terminal_env(**env))
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        session.close()


@pytest.mark.model
def test_tree_editor_completion_answer_and_quit_in_a_real_terminal(repo, qwen_model, session_factory):
    tui = session_factory(repo, CODER_ASK_MAX_TOKENS="60")
    screen = tui.wait_for(lambda s: "stats.py" in s and "defs" in s, what="the tree and the index")
    assert "docs/" in screen and "shapes.py" in screen and "build/" not in screen and "debug.log" not in screen
    # The tree has the focus: down to stats.py (docs/, .gitignore, report.py, shapes.py, stats.py).
    tui.keys(*["Down"] * 5, "Enter")
    tui.wait_for(lambda s: "def mean(values):" in s, what="stats.py in the editor")
    # The footer shows the editor's own key once the editor has the focus; keys sent
    # before that would still go to the tree.
    tui.keys("C-e")
    tui.wait_for(lambda s: "^g Complete" in s, what="the editor to have the focus")
    # Half an expression typed: what follows is clear enough for the first (greedy)
    # suggestion to pass the engine's checks even when a loaded machine leaves no
    # time for a second one.
    tui.keys(*["Down"] * 6, "End")
    tui.type(" total / ")
    screen = tui.wait_for(lambda s: re.search(r"7\s+return total / \S", s) is not None, timeout_s=300,
                          what="a completion after `return total / `")
    shown = re.search(r"7\s+(return total / .*?)\s*(│|$)", screen, re.M).group(1)
    assert "completion" in screen and re.search(r"completion \d+ ms", screen), screen
    tui.keys("Tab")
    tui.wait_for(lambda s: "stats.py ●" in s, what="the accepted completion (unsaved)")
    tui.keys("C-l")
    tui.wait_for(lambda s: "^g Complete" not in s, what="the question box to have the focus")
    tui.type("What does variance compute?")
    tui.keys("Enter")
    # Not "answering" first: on a fast machine a short answer begins and ends between
    # two looks at the screen (streaming itself is the Pilot test's to check).
    screen = tui.wait_for(lambda s: "answering" not in s and len(_answer(s).strip()) > 20, timeout_s=300,
                          what="the answer")
    panel = _panel(screen)
    assert "You (stats.py:7)" in panel, screen
    answer = _answer(screen)
    assert len(answer.strip()) > 20 and re.search(r"varian|mean|average|spread|squar", answer, re.I), screen
    assert "stats.py:" in panel.split("Sources", 1)[-1], screen  # the sources are listed
    tui.keys("C-q")
    tui.wait_for(lambda s: "Unsaved changes in stats.py" in s, what="the unsaved-changes prompt")
    tui.keys("d")
    tui.wait_for(lambda s: "CODER-EXITED 0" in s, what="coder to exit with 0")
    assert shown.startswith("return total / ") and len(shown) > len("return total / ")
    assert (repo / "stats.py").read_text().splitlines()[6] == "    return"  # not saved


def _panel(screen: str) -> str:
    """The ask panel's text: the right-hand column of every line, joined."""
    return " ".join(line.rpartition("│")[2].strip(" ▊▎") for line in screen.splitlines())


def _answer(screen: str) -> str:
    """The answer under the question in the conversation: nothing while the question
    is only in the input box (the lines below it, the status bar's among them, are not
    an answer: CI once read them as one before Enter had been handled)."""
    panel = _panel(screen)
    if "You (" not in panel:
        return ""
    asked = panel.split("You (", 1)[1]
    return asked.split("compute?", 1)[-1].split("Sources", 1)[0] if "compute?" in asked else ""
