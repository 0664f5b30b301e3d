"""Ask on the real default model (Qwen2.5-Coder-0.5B-Instruct through llama.cpp): the
core session, `coder ask` as a real process, and the TUI's ask panel. One model
process for the in-process tests; the answers are read for what the code says."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from coder.ask import AskSession, AskTarget
from coder.index.repo_index import RepoIndex
from coder.models.llama_backend import LlamaWorkerBackend
from coder.workspace import Workspace
from support.sample_repo import make_sample_repo
from support.tui_pilot import wait_for
from tui.app import CoderApp

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def chat_backend(qwen_model):
    with LlamaWorkerBackend(qwen_model, n_ctx=8192, n_threads=2) as backend:
        yield backend


@pytest.fixture
def repo(tmp_path):
    return make_sample_repo(tmp_path / "sample")


def test_the_real_model_answers_from_the_code_it_is_given(repo, tmp_path, chat_backend):
    index = RepoIndex(repo, cache_path=tmp_path / "index.sqlite3")
    index.refresh()
    try:
        session = AskSession(chat_backend, index, answer_tokens=120)
        reply = session.ask("Which class does summary() return the description of, and how is its area computed?",
                            AskTarget("report.py", 15))
        pieces = list(reply)
        assert len(pieces) > 5 and not reply.cancelled
        answer = reply.text.lower()
        # The answer can only know these from the context: shapes.py is another file.
        assert "area" in answer and ("circle" in answer or "square" in answer), reply.text
        assert any(s.name == "Circle" for s in reply.sources)
        follow = session.ask("What does the Square class store?", AskTarget("report.py", 15))
        text = "".join(follow).lower()
        assert "side" in text, follow.text
        assert len(session.turns) == 2
    finally:
        index.close()


def test_coder_ask_streams_the_answer_and_lists_sources(repo, qwen_model):
    env = {**os.environ, "CODER_MODEL": str(qwen_model)}
    result = subprocess.run(
        [sys.executable, "-m", "coder", "ask", "Write the expression that Circle.area returns, as code.", "shapes.py:10",
         "--max-tokens", "80"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    answer, _, sources = result.stdout.partition("\nsources:\n")
    assert "pi" in answer.lower() or "radius" in answer.lower(), result.stdout
    assert "shapes.py:1-19" in sources


@pytest.mark.asyncio
async def test_the_tui_streams_a_real_answer(repo, chat_backend):
    with Workspace.open(repo, backend=chat_backend, chat_backend=chat_backend) as workspace:
        workspace.settings.ask.max_tokens = 100
        app = CoderApp(workspace, open_path=repo / "shapes.py")
        async with app.run_test(size=(140, 40)) as pilot:
            screen = app.main_screen
            await wait_for(pilot, lambda: screen.tabs.current is not None and "defs" in screen.status.index_state,
                           what="the editor and the index")
            screen.tabs.current.move_cursor((9, 8))
            await pilot.press("ctrl+l")
            await pilot.press(*"Write the expression that area returns, as code.", "enter")
            panel = screen.ask_panel
            await wait_for(pilot, lambda: panel.answering and panel.answer_text, timeout_s=300, what="the first words")
            partial = panel.answer_text
            await wait_for(pilot, lambda: not panel.answering, timeout_s=300, what="the whole answer")
            assert len(panel.answer_text) > len(partial)
            assert "radius" in panel.answer_text.lower() or "pi" in panel.answer_text.lower(), panel.answer_text
            assert screen.status.tokens_per_second is not None
