"""A newer request cuts the running generation of the same document (real model).

A real `coder lsp` with Qwen2.5-Coder-0.5B writes a long multi-line suggestion (a
dict of the fifty US states, up to 160 tokens; at CI's ~17 tokens/s a 48-token one
took only 2.8 s, too short to cut into). Uninterrupted, the model is busy for its
whole length. When the user types on while it runs, the newer request's scheduler
job cancels the older one's generation: the older request is answered empty within
a moment, not when its generation would have ended, and the newer one gets its
answer. The figures are printed (run with -s to see them).
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp_helpers import SERVER, make_repo, server_env, status, wait_ready

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="module")]

HEAD = '''"""Capitals."""

STATE_CAPITALS = {
    "Alabama": "Montgomery",
'''
ALONE_S = 3.0  # the uninterrupted generation must take longer than this for the test to mean anything
CUT_S = 1.5  # the older request is answered within this after the newer one


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return make_repo(tmp_path_factory.mktemp("interrupt") / "project")


@pytest.fixture(scope="module", autouse=True)
def _server_environment(qwen_model, coder_home):
    saved = dict(os.environ)
    os.environ.update(server_env(qwen_model, coder_home))
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, repo):
    yield
    await lsp_client.shutdown_session()


def _request(client, uri: str, line: int, character: int):
    return asyncio.ensure_future(client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line, character),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked))))


def _replace(client, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def test_a_newer_request_cuts_the_running_generation(client: LanguageClient, repo):
    await client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(text_document=types.TextDocumentClientCapabilities(
            inline_completion=types.InlineCompletionClientCapabilities())),
        root_uri=repo.as_uri(), workspace_folders=[types.WorkspaceFolder(uri=repo.as_uri(), name="project")],
        initialization_options={"maxTokens": 160, "multiline": "always", "candidates": 1, "context": "local",
                                "grounding": "off", "debounceMs": 0},
    ))
    await wait_ready(client, index=False)
    uri = (repo / "capitals.py").as_uri()
    line, column = HEAD.count("\n"), 4
    text = HEAD + "    \n}\n"
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=text)))

    # Alone: the model is busy for the whole suggestion.
    started = time.monotonic()
    alone = await asyncio.wait_for(_request(client, uri, line, column), 120)
    alone_s = time.monotonic() - started
    assert alone.items and alone.items[0].insert_text.count("\n") >= 2, alone
    assert alone_s > ALONE_S, f"the long suggestion took only {alone_s:.1f}s: nothing to cut"

    # The same again on a new version (the suggestion cache would answer the old one),
    # and the user types on one second into it.
    _replace(client, uri, 2, "# v2\n" + text)
    older = _request(client, uri, line + 1, column)
    await asyncio.sleep(1.0)
    interrupted_before = (await status(client))["scheduler"]["interrupted"]
    typed = "# v2\n" + HEAD + '    "Alaska": "J\n}\n'
    _replace(client, uri, 3, typed)
    newer_sent = time.monotonic()
    newer = _request(client, uri, line + 1, len('    "Alaska": "J'))
    first = await asyncio.wait_for(asyncio.shield(older), 120)
    cut_s = time.monotonic() - newer_sent
    second = await asyncio.wait_for(newer, 120)
    newer_s = time.monotonic() - newer_sent
    print(f"\nmodel busy for the older request: alone {alone_s:.2f}s; after a newer request "
          f"{cut_s:.2f}s (the newer answered after {newer_s:.2f}s: {second.items[0].insert_text[:20]!r}"
          if second.items else f"\nalone {alone_s:.2f}s, cut {cut_s:.2f}s, newer {newer_s:.2f}s (empty)")
    assert len(first.items) == 0  # superseded: answered empty
    assert cut_s < CUT_S, f"the older request was answered {cut_s:.2f}s after the newer one"
    assert (await status(client))["scheduler"]["interrupted"] == interrupted_before + 1
    assert second is not None and newer_s < alone_s + 5  # the model was free for it at once
