""""Optimize with tests" end to end: a real `coder lsp` process (its chat model
scripted with one faster version of the function, see scripted_chat_server.py), a real
git repository whose tests pass, the real bubblewrap sandbox running them and timing
the candidate against the original. The edit reaches the client only after "Apply",
with the measured speedup in the question; the file on disk is never written."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from coder.loops.sandbox import bubblewrap_problem
from lsp_helpers import plain, send_raw, server_env, status, wait_ready

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.skipif(bubblewrap_problem() is not None, reason=str(bubblewrap_problem()))]

SCRIPTED_SERVER = [sys.executable, str(Path(__file__).with_name("scripted_chat_server.py"))]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "loops"
FASTER = """A set makes each membership test constant time:
```python
def dedupe(items):
    seen = set()
    result = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result
```"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("optimize-action") / "slow"
    shutil.copytree(FIXTURES / "slow", root)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "fixture"]):
        subprocess.run(command, cwd=root, check=True, env=env)
    return root


@pytest.fixture(scope="module", autouse=True)
def _server_environment(qwen_model, coder_home, tmp_path_factory):
    saved = dict(os.environ)  # pytest-lsp starts the server from os.environ
    os.environ.update(server_env(qwen_model, coder_home,
                                 CODER_STORE_PATH=str(tmp_path_factory.mktemp("store") / "history.sqlite3"),
                                 CODER_TEST_CHAT_REPLIES=json.dumps([FASTER]),
                                 CODER_LOOPS_ROUNDS="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"))
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SCRIPTED_SERVER))
async def client(lsp_client: LanguageClient, repo):
    yield
    await lsp_client.shutdown_session()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def user(client: LanguageClient, repo):
    asked: dict = {"questions": [], "edits": []}

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def ask(params: types.ShowMessageRequestParams):
        asked["questions"].append(params.message)
        return types.MessageActionItem("Apply")

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply(params: types.ApplyWorkspaceEditParams):
        asked["edits"].append(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    await client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(
            window=types.WindowClientCapabilities(work_done_progress=True),
            workspace=types.WorkspaceClientCapabilities(
                workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)),
            text_document=types.TextDocumentClientCapabilities(code_action=types.CodeActionClientCapabilities()),
        ),
        root_uri=repo.as_uri(), workspace_folders=[types.WorkspaceFolder(uri=repo.as_uri(), name="slow")],
    ))
    await wait_ready(client, index=False)
    path = repo / "textutil.py"
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=path.as_uri(), language_id="python", version=1, text=path.read_text())))
    return asked


async def test_optimize_measures_the_candidate_and_edits_only_after_apply(client, user, repo):
    path = repo / "textutil.py"
    before = path.read_bytes()
    line = path.read_text().split("\n").index("    seen = []")
    at = {"line": line, "character": 4}
    # Sent raw: lsprotocol's client side reads a reply item with a "command" key as a bare Command.
    actions = plain(await send_raw(client, {"jsonrpc": "2.0", "id": 81000, "method": "textDocument/codeAction",
                                            "params": {"textDocument": {"uri": path.as_uri()},
                                                       "range": {"start": at, "end": at},
                                                       "context": {"diagnostics": []}}}))
    [optimize] = [a for a in actions if a["title"] == "Optimize with tests"]
    assert optimize["command"]["arguments"][0]["function"] == "dedupe"
    answer = plain(await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=optimize["command"]["command"], arguments=optimize["command"]["arguments"])))
    deadline = time.monotonic() + 300
    while (await status(client))["action"] is not None:
        assert time.monotonic() < deadline, "the optimize run did not finish"
        await asyncio.sleep(0.5)
    messages = [getattr(r, "message", None) or "" for r in client.progress_reports.get(answer["token"], [])]
    assert any("candidate 1" in m for m in messages), messages
    [question] = user["questions"]
    assert "faster" in question and "passed" in question, question
    speedup = float(question.split("x faster")[0].rsplit(" ", 1)[-1])
    assert speedup >= 1.2, question  # a set against a list: far beyond the noise
    [edit] = user["edits"]
    [change] = edit.document_changes
    edited = _applied(path.read_text(), change.edits)
    assert "    seen = set()" in edited.split("\n") and "            seen.add(item)" in edited.split("\n")
    assert "def join_words(words):" in edited  # the rest of the file as it was
    assert path.read_bytes() == before  # the server never writes the file


def _applied(text: str, edits) -> str:
    """text with LSP text edits applied (positions in UTF-16 units; this file is ASCII)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start = offsets[edit.range.start.line] + edit.range.start.character
        end = offsets[edit.range.end.line] + edit.range.end.character
        text = text[:start] + edit.new_text + text[end:]
    return text
