"""Code actions end to end: a real `coder lsp` process (its chat model scripted, see
scripted_chat_server.py) over stdio with pytest-lsp's client, a real git repository
whose tests fail, and the real bubblewrap sandbox running them.

The three actions are offered on a Python function and nowhere else; "Fix with
tests" reports work-done progress, and its edit reaches the client only after the
user picks "Apply" (never after "Discard"), while the file on disk stays as it was;
an unsaved buffer and a cancelled run end with one message or a cancelled progress.
"""

from __future__ import annotations

import asyncio
import itertools
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
RIGHT = """The even case must average the two middle values:
```python
def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2 == 1:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
```"""
SLOW = "Let me think about the even case first. " * 120 + RIGHT  # about 5 s at the delay below
FIXED_LINE = "    return (ordered[middle - 1] + ordered[middle]) / 2"


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("actions") / "buggy"
    shutil.copytree(FIXTURES / "buggy", root)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "fixture"]):
        subprocess.run(command, cwd=root, check=True, env=env)
    return root


@pytest.fixture(scope="module", autouse=True)
def _server_environment(qwen_model, coder_home, tmp_path_factory):
    # pytest-lsp starts the server from os.environ: set it for the module.
    saved = dict(os.environ)
    os.environ.update(server_env(qwen_model, coder_home,
                                 CODER_STORE_PATH=str(tmp_path_factory.mktemp("store") / "history.sqlite3"),
                                 CODER_TEST_CHAT_REPLIES=json.dumps([RIGHT, RIGHT, SLOW]),
                                 CODER_TEST_CHAT_DELAY="0.01"))
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SCRIPTED_SERVER))
async def client(lsp_client: LanguageClient, repo):
    yield
    await lsp_client.shutdown_session()


class User:
    """The editor's side of the dialogue: answers showMessageRequest, records edits."""

    def __init__(self):
        self.answer = "Apply"
        self.questions: list[str] = []
        self.edits: list[types.WorkspaceEdit] = []


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(client: LanguageClient, repo):
    user = User()

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def ask(params: types.ShowMessageRequestParams):
        user.questions.append(params.message)
        assert [a.title for a in params.actions] == ["Apply", "Discard"]
        return types.MessageActionItem(user.answer)

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply(params: types.ApplyWorkspaceEditParams):
        user.edits.append(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    await client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(
            window=types.WindowClientCapabilities(work_done_progress=True),
            workspace=types.WorkspaceClientCapabilities(
                workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)),
            text_document=types.TextDocumentClientCapabilities(code_action=types.CodeActionClientCapabilities()),
        ),
        root_uri=repo.as_uri(), workspace_folders=[types.WorkspaceFolder(uri=repo.as_uri(), name="buggy")],
    ))
    await wait_ready(client, index=False)
    path = repo / "stats.py"
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=path.as_uri(), language_id="python", version=1, text=path.read_text())))
    return user


def _line_of(repo: Path, text: str) -> int:
    return (repo / "stats.py").read_text().split("\n").index(text)


_ids = itertools.count(70000)


async def _actions(client, repo, line: int, character: int = 4, only=None) -> list[dict] | None:
    """The code actions as the server sent them. (Sent raw: lsprotocol's client side
    reads any reply item with a "command" key as a bare Command, losing the kind.)"""
    at = {"line": line, "character": character}
    context = {"diagnostics": [], **({"only": only} if only else {})}
    answer = await send_raw(client, {"jsonrpc": "2.0", "id": next(_ids), "method": "textDocument/codeAction",
                                     "params": {"textDocument": {"uri": (repo / "stats.py").as_uri()},
                                                "range": {"start": at, "end": at}, "context": context}})
    return plain(answer)


async def _execute(client, action: dict) -> str:
    answer = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=action["command"]["command"], arguments=action["command"]["arguments"]))
    return plain(answer)["token"]


async def _finished(client, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while (await status(client))["action"] is not None:
        assert time.monotonic() < deadline, "the action did not finish"
        await asyncio.sleep(0.2)


def _progress(client, token: str) -> list:
    return client.progress_reports.get(token, [])


async def test_the_three_actions_on_a_function_and_none_outside(client, session, repo):
    inside = await _actions(client, repo, _line_of(repo, "    ordered = sorted(values)"))
    assert [(a["title"], a["kind"]) for a in inside] == [
        ("Fix with tests", "refactor.rewrite"), ("Optimize with tests", "refactor.rewrite"),
        ("Review this function", "source"),
    ]
    assert all(a["command"]["arguments"][0]["function"] == "median" for a in inside)
    on_header = await _actions(client, repo, _line_of(repo, "def spread(values):"), 0)
    assert {a["command"]["arguments"][0]["function"] for a in on_header} == {"spread"}
    assert await _actions(client, repo, 0) is None  # the module docstring
    assert await _actions(client, repo, _line_of(repo, "def median(values):") - 1) is None  # between functions
    only_source = await _actions(client, repo, _line_of(repo, "    ordered = sorted(values)"), only=["source"])
    assert [a["title"] for a in only_source] == ["Review this function"]


async def test_fix_reports_progress_and_the_edit_arrives_only_after_apply(client, session, repo):
    before = (repo / "stats.py").read_bytes()
    fix = (await _actions(client, repo, _line_of(repo, "    ordered = sorted(values)")))[0]
    session.answer = "Apply"
    token = await _execute(client, fix)
    await _finished(client)
    reports = _progress(client, token)
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
    messages = [r.message for r in reports[1:-1]]
    assert any("round 1" in m for m in messages)
    assert any("candidate 1" in m and "passed" in m for m in messages)  # the sandboxed test run's summary
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    assert len(session.questions) == 1 and "5 passed" in session.questions[0]
    [edit] = session.edits
    [change] = edit.document_changes
    assert change.text_document.version == 1
    [text_edit] = change.edits
    text = (repo / "stats.py").read_text()
    lines = text.split("\n")
    start, end = text_edit.range.start, text_edit.range.end
    edited = "\n".join(lines[:start.line] + [lines[start.line][:start.character] + text_edit.new_text
                                             + lines[end.line][end.character:]] + lines[end.line + 1:])
    assert FIXED_LINE in edited.split("\n") and "def spread(values):" in edited
    assert edited.count("def median(values):") == 1 and "ordered[middle + 1]" not in edited
    assert (repo / "stats.py").read_bytes() == before  # the server never writes the file


async def test_after_discard_no_edit_is_sent(client, session, repo):
    fix = (await _actions(client, repo, _line_of(repo, "    ordered = sorted(values)")))[0]
    session.answer = "Discard"
    asked, edits = len(session.questions), len(session.edits)
    await _execute(client, fix)
    await _finished(client)
    assert len(session.questions) == asked + 1
    await asyncio.sleep(0.5)
    assert len(session.edits) == edits


async def test_unsaved_changes_are_one_message(client, session, repo):
    uri = (repo / "stats.py").as_uri()
    fix = (await _actions(client, repo, _line_of(repo, "    ordered = sorted(values)")))[0]
    original = (repo / "stats.py").read_text()
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=original + "\n# edited\n")]))
    shown = len(client.messages)
    await _execute(client, fix)
    await _finished(client)
    new = [m.message for m in client.messages[shown:]]
    assert len(new) == 1 and "unsaved changes" in new[0] and "save it first" in new[0]
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=original)]))


async def test_cancel_ends_the_run_without_asking(client, session, repo):
    fix = (await _actions(client, repo, _line_of(repo, "    ordered = sorted(values)")))[0]
    asked = len(session.questions)
    token = await _execute(client, fix)
    deadline = time.monotonic() + 30
    while not any("asking" in (getattr(r, "message", None) or "") for r in _progress(client, token)):
        # the model is writing the (slow) candidate
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    cancelled_at = time.monotonic()
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    await _finished(client, timeout=30)
    assert time.monotonic() - cancelled_at < 15
    assert _progress(client, token)[-1].message == "cancelled"
    assert len(session.questions) == asked
