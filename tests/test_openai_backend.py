"""The OpenAI-compatible backend against a real server on 127.0.0.1 (demo model)."""

from __future__ import annotations

import threading
import time

import pytest

from coder.errors import BackendError
from coder.models.backend import GenerationRequest
from coder.models.openai_backend import OpenAICompatibleBackend
from tests.support.local_openai_server import free_port, local_openai_server

pytestmark = pytest.mark.model

ADD_PROMPT = "def add(a, b):\n    return"
LONG_PROMPT = "# A long list of numbers\nnumbers = [1, 2, 3,"


@pytest.fixture(scope="module")
def server(demo_model):
    with local_openai_server(demo_model) as url:
        yield url


@pytest.fixture
def backend(server):
    return OpenAICompatibleBackend(server)


def test_completes_add(backend):
    completion = backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=8, stop=("\n",)))
    assert completion.text == " a + b"
    assert completion.stats.finish_reason == "stop"


def test_base_url_without_v1_and_model_discovery(server):
    backend = OpenAICompatibleBackend(server.removesuffix("/v1"))
    assert backend.model
    assert backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=8, stop=("\n",))).text == " a + b"


def test_token_id_prompt(backend):
    ids = backend.tokenize(ADD_PROMPT)
    assert backend.complete(GenerationRequest(ids, max_tokens=8, stop=("\n",))).text == " a + b"


def test_streaming_yields_pieces_and_length(backend):
    generation = backend.stream(GenerationRequest(LONG_PROMPT, max_tokens=12))
    pieces = list(generation)
    assert len(pieces) > 1
    assert generation.stats.finish_reason == "length"


def test_tokenize_round_trip_keeps_control_text_plain(backend):
    text = "x = '<start_of_turn>' + y"
    ids = backend.tokenize(text)
    assert backend.detokenize(ids) == text
    control = backend.tokenize("<start_of_turn>", special=True)
    assert len(control) == 1 and control[0] not in ids


def test_cancel_mid_stream_then_next_request_works(backend):
    generation = backend.stream(GenerationRequest(LONG_PROMPT, max_tokens=300))
    pieces = iter(generation)
    next(pieces)
    generation.cancel()
    list(pieces)
    assert generation.stats.finish_reason == "cancelled"
    assert backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=8, stop=("\n",))).text == " a + b"


def test_newer_request_on_a_channel_cancels_the_older(backend):
    old = backend.stream(GenerationRequest(LONG_PROMPT, max_tokens=300, channel="doc"))
    pieces = iter(old)
    next(pieces)
    result = {}
    thread = threading.Thread(
        target=lambda: result.setdefault(
            "new", backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=8, stop=("\n",), channel="doc"))
        )
    )
    started = time.perf_counter()
    thread.start()
    time.sleep(0.2)
    list(pieces)
    thread.join(60)
    assert old.stats.finish_reason == "cancelled"
    assert result["new"].text == " a + b"
    assert time.perf_counter() - started < 30


def test_connection_refused_is_one_line():
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(BackendError) as raised:
        OpenAICompatibleBackend(url)
    message = str(raised.value)
    assert url in message and "is it running?" in message and "\n" not in message


def test_wrong_path_is_one_line(server):
    with pytest.raises(BackendError) as raised:
        OpenAICompatibleBackend(server.removesuffix("/v1") + "/nope/v1")
    assert "did not list a model" in str(raised.value) and "\n" not in str(raised.value)


def test_grammar_is_sent_to_the_server(backend):
    grammar = 'root ::= (" alpha" | " beta") [a-z]{0,3}'
    text = backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=6, grammar=grammar)).text
    assert text.startswith((" alpha", " beta"))
    assert backend.supports_grammar is True


def test_coder_complete_through_the_server(server, tmp_path, monkeypatch, capsys):
    from coder.cli.main import main

    source = tmp_path / "calc.py"
    source.write_text("def add(a, b):\n    return\n")
    monkeypatch.setenv("CODER_BACKEND", "openai")
    monkeypatch.setenv("CODER_SERVER_URL", server)
    assert main(["complete", f"{source}:2:11"]) == 0
    assert capsys.readouterr().out == " a + b\n"
