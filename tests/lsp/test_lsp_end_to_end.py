"""The language server end to end: a real `coder lsp` process with the real model,
driven by pytest-lsp's client over stdio.

One server per module (the model loads once): initialize, open, incremental edits,
inline and menu completion at the right ranges, cancel, newest wins, configuration,
acceptance recorded (and `coder stats` shows it), progress of the index, shutdown.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp_helpers import SERVER, make_repo, send_raw, server_env, wait_ready
from lsp_helpers import status as status_of

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="module")]


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return make_repo(tmp_path_factory.mktemp("lsp-repo") / "project")


@pytest.fixture(scope="module")
def lsp_env(qwen_model, coder_home):
    return server_env(qwen_model, coder_home)


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=SERVER),
)
async def client(lsp_client: LanguageClient, repo, lsp_env):
    yield
    await lsp_client.shutdown_session()


# pytest-lsp starts the server before our fixtures can give it an environment;
# the environment reaches it through os.environ, set for the module here.
@pytest.fixture(scope="module", autouse=True)
def _server_environment(lsp_env):
    import os

    saved = dict(os.environ)
    os.environ.update(lsp_env)
    yield
    os.environ.clear()
    os.environ.update(saved)


def _uri(path) -> str:
    return path.as_uri()


async def _initialize(client: LanguageClient, repo) -> types.InitializeResult:
    capabilities = types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=True),
        text_document=types.TextDocumentClientCapabilities(
            inline_completion=types.InlineCompletionClientCapabilities(),
            completion=types.CompletionClientCapabilities(),
        ),
    )
    return await client.initialize_session(types.InitializeParams(
        capabilities=capabilities, root_uri=_uri(repo),
        workspace_folders=[types.WorkspaceFolder(uri=_uri(repo), name="project")],
        initialization_options={"maxTokens": 16, "candidates": 1},
    ))


def _inline(uri, line, character, kind=types.InlineCompletionTriggerKind.Invoked):
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(trigger_kind=kind),
    )


def _edit(uri, version, line, character, text):
    at = types.Position(line=line, character=character)
    return types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text=text)],
    )


state: dict = {}


async def test_initialize_answers_at_once_and_completions_before_ready_are_empty(client, repo):
    result = await _initialize(client, repo)
    capabilities = result.capabilities
    assert capabilities.inline_completion_provider is not None
    assert capabilities.completion_provider is not None
    assert "coder.accepted" in capabilities.execute_command_provider.commands
    assert capabilities.position_encoding in (None, types.PositionEncodingKind.Utf16)
    uri = _uri(repo / "scratch.py")
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text="def add(a, b):\n    ret")))
    status = await status_of(client)
    asked = time.monotonic()
    answer = await client.text_document_inline_completion_async(_inline(uri, 1, 7))
    if not status["ready"]:  # the model loads after initialize has been answered
        assert time.monotonic() - asked < 1.0 and len(answer.items) == 0
    assert answer is not None
    state["ready_at_initialize"] = status["ready"]
    state["uri"] = uri


async def test_the_index_is_built_in_the_background_with_progress(client):
    status = await wait_ready(client)
    assert status["gcFrozen"]
    for _ in range(100):  # the end may follow the status answer
        kinds = [type(r).__name__ for r in client.progress_reports.get("coder/index", [])]
        if kinds and kinds[-1] == "WorkDoneProgressEnd":
            break
        await asyncio.sleep(0.05)
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd", kinds


async def _index_updated(client, before: int) -> None:
    for _ in range(200):
        if (await status_of(client))["indexUpdates"] > before:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the index was not updated")


async def test_file_watcher_events_update_the_index(client, repo):
    from coder.index.repo_index import RepoIndex

    await wait_ready(client)
    added = repo / "triangles.py"
    added.write_text("def triangle_area(base, height):\n    return base * height / 2\n")
    before = (await status_of(client))["indexUpdates"]
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=_uri(added), type=types.FileChangeType.Created)]))
    await _index_updated(client, before)
    index = RepoIndex(repo)  # the server's index, read from its store without a refresh
    try:
        assert [t.path for t in index.definitions("triangle_area")] == ["triangles.py"]
        added.unlink()
        before = (await status_of(client))["indexUpdates"]
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=_uri(added), type=types.FileChangeType.Deleted)]))
        await _index_updated(client, before)
        assert index.definitions("triangle_area") == []
    finally:
        index.close()


async def test_inline_completion_after_incremental_edits(client, repo):
    uri = state["uri"]
    client.text_document_did_change(_edit(uri, 2, 1, 7, "ur"))  # "    retur"
    client.text_document_did_change(_edit(uri, 3, 1, 9, "n "))  # "    return "
    answer = await client.text_document_inline_completion_async(_inline(uri, 1, 11))
    assert len(answer.items) == 1, answer
    item = answer.items[0]
    assert item.insert_text.strip()
    assert item.range.start == item.range.end == types.Position(line=1, character=11)
    assert item.command.command == "coder.accepted"
    state["token"] = item.command.arguments[0]


async def test_menu_completion_replaces_the_typed_word(client, repo):
    uri = _uri(repo / "menu.py")
    text = "import os\n\n\ndef home():\n    return os.pa"
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=text)))
    listing = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=4, character=16),
        context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)))
    assert listing.is_incomplete
    assert len(listing.items) == 1, listing
    edit = listing.items[0].text_edit
    assert edit.range.start == types.Position(line=4, character=14)  # the start of "pa"
    assert edit.range.end == types.Position(line=4, character=16)
    assert edit.new_text.startswith("pa") and len(edit.new_text) > 2


async def test_acceptance_is_recorded_and_coder_stats_shows_it(client, coder_home):
    await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="coder.accepted", arguments=[state["token"]]))
    await status_of(client)  # flushes the history
    result = subprocess.run([sys.executable, "-m", "coder", "stats", "--json"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    rows = {row["language"]: row for row in json.loads(result.stdout)}
    assert rows["python"]["shown"] >= 2 and rows["python"]["accepted"] == 1


async def test_cancel_is_honoured_and_answered(client):
    uri = state["uri"]
    client.text_document_did_change(_edit(uri, 4, 1, 11, "a"))
    future = client.protocol.send_request("textDocument/inlineCompletion", _inline(uri, 1, 12), msg_id=90001)
    client.protocol.notify("$/cancelRequest", types.CancelParams(id=90001))
    try:
        result = await asyncio.wait_for(asyncio.wrap_future(future), 30)
        assert result is not None  # finished before the cancel arrived: answered all the same
    except JsonRpcException as error:
        assert error.code == -32800  # RequestCancelled


async def test_the_newest_request_of_a_document_wins(client):
    uri = state["uri"]
    futures = []
    for step in range(4):
        version = 5 + step
        client.text_document_did_change(_edit(uri, version, 1, 12 + step, " +"[step % 2]))
        futures.append(client.text_document_inline_completion_async(_inline(uri, 1, 13 + step)))
    answers = await asyncio.wait_for(asyncio.gather(*futures), 60)
    assert all(a is not None for a in answers)
    assert all(len(a.items) == 0 for a in answers[:-1])  # older versions: answered empty
    status = await status_of(client)
    assert status["scheduler"]["superseded"] >= 1 or status["scheduler"]["run"] >= 4


async def test_invalid_params_and_unknown_methods_get_an_error_response(client):
    with pytest.raises(JsonRpcException) as invalid:
        await asyncio.wait_for(send_raw(client, {"jsonrpc": "2.0", "id": 90002, "method": "textDocument/inlineCompletion",
                                                 "params": {"textDocument": 5, "position": "here"}}), 10)
    assert invalid.value.code == -32602
    with pytest.raises(JsonRpcException) as unknown:
        await asyncio.wait_for(client.protocol.send_request_async("coder/noSuchMethod", {}), 10)
    assert unknown.value.code == -32601


async def test_configuration_change_is_validated(client):
    client.messages.clear()
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"coder": {"maxTokens": -1, "grounding": "off"}}))
    status = await status_of(client)
    assert status["settings"]["maxTokens"] == 16  # kept
    assert status["settings"]["grounding"] == "off"  # applied
    for _ in range(50):
        if client.messages:
            break
        await asyncio.sleep(0.05)
    assert len(client.messages) == 1 and "max_tokens" in client.messages[0].message


async def test_automatic_requests_mid_line_are_empty_unless_asked(client, repo):
    uri = _uri(repo / "mid.py")
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text="value = compute(x) + 1\n")))
    automatic = await client.text_document_inline_completion_async(
        _inline(uri, 0, 8, types.InlineCompletionTriggerKind.Automatic))
    assert len(automatic.items) == 0


async def test_while_typing_a_suggestion_comes_early_and_typing_on_shows_the_rest(client, repo):
    """The typing deadline through a real client: an automatic request is answered
    with the first whole words; the model finishes the line in the background, and
    the next keystroke into the suggestion is answered with all of it."""
    uri = _uri(repo / "area.py")
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text="def area(width, height):\n    \n    return result\n")))
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"coder": {"typingDeadlineMs": 1}}))  # a deadline no model meets
    try:
        assert (await status_of(client))["settings"]["typingDeadlineMs"] == 1
        early = await client.text_document_inline_completion_async(
            _inline(uri, 1, 4, types.InlineCompletionTriggerKind.Automatic))
        assert len(early.items) == 1, early
        shown = early.items[0].insert_text
        assert shown.strip() and not shown[-1].isalnum(), shown  # whole words only
        client.text_document_did_change(_edit(uri, 2, 1, 4, shown[0]))
        rest = shown[1:]
        for _ in range(240):  # the background generation finishes within seconds here
            later = await client.text_document_inline_completion_async(
                _inline(uri, 1, 5, types.InlineCompletionTriggerKind.Automatic))
            rest = later.items[0].insert_text if later.items else ""
            if len(rest) > len(shown) - 1:
                break
            await asyncio.sleep(0.25)
        assert rest.startswith(shown[1:]) and len(rest) > len(shown) - 1, (shown, rest)
    finally:
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"coder": {"typingDeadlineMs": 400}}))
