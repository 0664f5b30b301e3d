""""Review this function" end to end on the real model: a real `coder lsp` process,
Qwen2.5-Coder-0.5B Instruct as its chat model, a buffer with unsaved edits. The
findings arrive as diagnostics of the document (source "coder review"), at the
lines of the buffer, not of the file on disk; one run of the model."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp_helpers import SERVER, make_repo, plain, send_raw, server_env, status, wait_ready

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="module")]

# Saved as lsp_helpers.MODULE; the buffer adds a function with a misspelt call (the sure check names it;
# what the model adds varies).
BUGGY = '''

def average(values):
    count = len(values)
    return summ(values) / count
'''


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return make_repo(tmp_path_factory.mktemp("review") / "project")


@pytest.fixture(scope="module", autouse=True)
def _server_environment(qwen_model, coder_home):
    saved = dict(os.environ)
    os.environ.update(server_env(qwen_model, coder_home, CODER_CHAT_MODEL=str(qwen_model)))
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, repo):
    yield
    await lsp_client.shutdown_session()


async def test_review_publishes_the_findings_as_diagnostics(client: LanguageClient, repo):
    await client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(window=types.WindowClientCapabilities(work_done_progress=True)),
        root_uri=repo.as_uri(), workspace_folders=[types.WorkspaceFolder(uri=repo.as_uri(), name="project")],
    ))
    await wait_ready(client)
    uri = (repo / "stats.py").as_uri()
    text = (repo / "stats.py").read_text() + BUGGY
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=text)))
    lines = text.split("\n")
    bad_line = lines.index("    return summ(values) / count")
    at = {"line": bad_line, "character": 8}
    actions = plain(await send_raw(client, {"jsonrpc": "2.0", "id": 71000, "method": "textDocument/codeAction",
                                            "params": {"textDocument": {"uri": uri}, "range": {"start": at, "end": at},
                                                       "context": {"diagnostics": []}}}))
    [review] = [a for a in actions if a["title"] == "Review this function"]
    assert review["command"]["arguments"][0]["function"] == "average"
    shown = len(client.messages)
    answer = plain(await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=review["command"]["command"], arguments=review["command"]["arguments"])))
    token = answer["token"]
    deadline = time.monotonic() + 240
    while (await status(client))["action"] is not None:
        assert time.monotonic() < deadline, "the review did not finish"
        await asyncio.sleep(0.2)
    assert [m.message for m in client.messages[shown:]] == []  # no error: the model ran
    end = client.progress_reports[token][-1]
    assert isinstance(end, types.WorkDoneProgressEnd) and "qwen2.5-coder-0.5b" in end.message.lower()
    diagnostics = client.diagnostics[uri]
    assert diagnostics and all(d.source == "coder review" for d in diagnostics)
    first_line = lines.index("def average(values):")
    assert all(first_line <= d.range.start.line <= bad_line for d in diagnostics)  # within the function
    named = [d for d in diagnostics if "summ" in d.message]
    assert named and named[0].range.start.line == bad_line and named[0].range.start.character == lines[bad_line].index("summ")
    assert named[0].severity == types.DiagnosticSeverity.Error
