"""A completion asked while a chat reply generates is not held behind it (real model).

With only the default model installed, chat (loops, review, ask) and completion use
the same GGUF. They run in two workers of a workspace, the chat one at a lower CPU
priority, so a user typing while a loop generates in the editor or the TUI gets a
suggestion in the time a completion takes, not after the loop's reply is written.
"""

from __future__ import annotations

import threading
import time

import pytest

from coder.models.backend import ChatMessage, ChatRequest
from coder.workspace import CHAT_NICENESS_BESIDE_COMPLETION, Workspace

pytestmark = pytest.mark.model

SOURCE = '''def area(width, height):
    return width * height


def perimeter(width, height):
    return '''

LONG_REPLY = ChatRequest(
    messages=(ChatMessage("user", "Write a Python module with twenty small functions, each with a docstring: "
                                  "add, subtract, multiply, divide, power, and so on."),),
    max_tokens=300,
)


@pytest.fixture
def workspace(qwen_model, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "shapes.py").write_text(SOURCE)
    ws = Workspace.open(repo, explicit_model=str(qwen_model), overrides={"completion": {"context": "local"}})
    yield ws
    ws.close()


def test_chat_runs_in_its_own_lower_priority_worker(workspace):
    completion = workspace.backend
    chat = workspace.chat_backend
    assert chat is not completion
    assert chat.model_path == completion.model_path
    assert chat.worker_pid != completion.worker_pid
    assert chat.niceness >= CHAT_NICENESS_BESIDE_COMPLETION
    assert completion.niceness < chat.niceness


def test_a_completion_is_answered_while_a_chat_reply_generates(workspace):
    engine = workspace.engine
    line, column = SOURCE.count("\n"), len("    return ")
    request = workspace.completion_request("shapes.py", SOURCE, line, column, multiline="never",
                                           candidates=1, grounding="off")
    engine.complete(request)  # the model warmed and the prompt cached for the timed ask below
    request = workspace.completion_request("shapes.py", SOURCE.replace("height", "depth"), line, column,
                                           multiline="never", candidates=1, grounding="off")

    token_times: list[float] = []
    first_token = threading.Event()

    def chat() -> None:
        for _ in workspace.chat_backend.chat(LONG_REPLY):
            token_times.append(time.monotonic())
            first_token.set()

    chatting = threading.Thread(target=chat)
    chatting.start()
    assert first_token.wait(120), "the chat reply never started"
    suggestion = engine.complete(request)
    completed_at = time.monotonic()
    chatting.join(300)

    assert suggestion.text.strip(), suggestion
    tokens_after = sum(1 for t in token_times if t > completed_at)
    print(f"\nchat tokens: {len(token_times)}, of them after the completion: {tokens_after}")
    # One worker for both would have answered the completion only after the last chat token.
    assert tokens_after >= 20, f"the completion came with only {tokens_after} chat tokens left"
