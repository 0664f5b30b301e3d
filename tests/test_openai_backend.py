"""The OpenAI-compatible backend against a real server on 127.0.0.1 (demo model).

One llama-cpp-python server (with an API key, so the key is really sent) serves the
whole module. Failure paths that need a misbehaving server use a stdlib HTTP server
in a thread that really answers over a socket.
"""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from coder.errors import BackendError
from coder.models.backend import GenerationRequest
from coder.models.openai_backend import OpenAICompatibleBackend
from tests.support.local_openai_server import free_port, local_openai_server

ADD_PROMPT = "def add(a, b):\n    return"
LONG_PROMPT = "# A long list of numbers\nnumbers = [1, 2, 3,"
KEY = "test-key"


def add_request(**extra) -> GenerationRequest:
    return GenerationRequest(ADD_PROMPT, max_tokens=8, stop=("\n",), **extra)


@pytest.fixture(scope="module")
def server(demo_model):
    with local_openai_server(demo_model, api_key=KEY) as url:
        yield url


@pytest.fixture
def backend(server):
    with OpenAICompatibleBackend(server, api_key=KEY) as backend:
        yield backend


@pytest.mark.model
def test_completes_add_greedy_with_stats(backend):
    completion = backend.complete(add_request())
    assert completion.text.startswith(" a + b")
    stats = completion.stats
    assert stats.finish_reason == "stop"
    assert stats.generated_tokens >= 1
    assert 0 < stats.time_to_first_token_s <= stats.total_s


@pytest.mark.model
def test_base_url_without_v1_and_model_discovery(server):
    backend = OpenAICompatibleBackend(server.removesuffix("/v1"), api_key=KEY)
    assert backend.model.endswith(".gguf")  # llama-cpp-python names the model by its path
    assert backend.complete(add_request()).text == " a + b"


@pytest.mark.model
def test_token_id_prompt(backend):
    ids = backend.tokenize(ADD_PROMPT)
    completion = backend.complete(GenerationRequest(ids, max_tokens=8, stop=("\n",)))
    assert completion.text == " a + b"
    assert completion.stats.prompt_tokens == len(ids)
    # llama-cpp-python's server takes text prompts only; the backend found that out.
    assert backend.supports_token_prompts is False


@pytest.mark.model
def test_stop_sequence_ends_the_text_before_it(backend):
    free = backend.complete(GenerationRequest(LONG_PROMPT, max_tokens=12)).text
    assert free.startswith(" 4, 5, 6")
    stopped = backend.complete(GenerationRequest(LONG_PROMPT, max_tokens=12, stop=(" 6",)))
    assert stopped.text == " 4, 5,"
    assert stopped.stats.finish_reason == "stop"


@pytest.mark.model
def test_streaming_yields_pieces_and_length(backend):
    generation = backend.stream(GenerationRequest(LONG_PROMPT, max_tokens=12))
    pieces = list(generation)
    assert len(pieces) > 1
    assert generation.stats.finish_reason == "length"
    assert generation.stats.generated_tokens == 12


@pytest.mark.model
def test_cancel_mid_stream_then_next_request_works(backend):
    generation = backend.stream(GenerationRequest(LONG_PROMPT, max_tokens=400))
    pieces = iter(generation)
    next(pieces)
    generation.cancel()
    generation.cancel()  # twice is fine
    list(pieces)
    assert generation.stats.finish_reason == "cancelled"
    assert generation.stats.generated_tokens < 100
    assert backend.complete(add_request()).text == " a + b"


@pytest.mark.model
def test_cancel_from_another_thread_wakes_a_blocked_reader(backend):
    generation = backend.stream(GenerationRequest(LONG_PROMPT, max_tokens=400))
    result = {}
    reader = threading.Thread(target=lambda: result.setdefault("text", generation.text()))
    reader.start()
    deadline = time.monotonic() + 30
    while generation.stats.time_to_first_token_s is None and time.monotonic() < deadline:
        time.sleep(0.01)
    generation.cancel()
    reader.join(10)
    assert not reader.is_alive()
    assert generation.stats.finish_reason == "cancelled"
    assert generation.stats.generated_tokens < 100


@pytest.mark.model
def test_newer_request_on_a_channel_cancels_the_running_one(backend):
    old = backend.stream(GenerationRequest(LONG_PROMPT, max_tokens=400, channel="doc"))
    pieces = iter(old)
    next(pieces)
    started = time.perf_counter()
    new = backend.complete(add_request(channel="doc"))
    assert time.perf_counter() - started < 30
    list(pieces)
    assert old.stats.finish_reason == "cancelled"
    assert new.text == " a + b"


@pytest.mark.model
def test_newer_request_on_a_channel_drops_a_queued_one(backend):
    running = backend.stream(GenerationRequest(LONG_PROMPT, max_tokens=20))
    queued = backend.stream(GenerationRequest(LONG_PROMPT, max_tokens=400, channel="doc"))
    newest = backend.stream(add_request(channel="doc"))
    assert queued.text() == ""  # cancelled before it was sent, without waiting
    assert queued.stats.finish_reason == "cancelled"
    assert running.stats.finish_reason in ("", "length")  # other channels are untouched
    assert newest.text() == " a + b"
    assert running.text() and running.stats.finish_reason == "length"


@pytest.mark.model
def test_tokenize_round_trip_keeps_control_text_plain(backend):
    text = "x = '<start_of_turn>' + y[0] <b>\n"
    ids = backend.tokenize(text)
    assert backend.detokenize(ids) == text
    control = backend.tokenize("<start_of_turn>", special=True)
    assert len(control) == 1 and control[0] not in ids
    assert backend.tokenize("def add") == backend.tokenize("def add", special=True)  # no BOS added
    # Text with "<" but no control text keeps the server's natural tokenization.
    code = "if (a < b) { x = y << 2; } // <div>\n" * 3
    assert backend.tokenize(code) == backend.tokenize(code, special=True)
    assert backend.detokenize(backend.tokenize(code)) == code


@pytest.mark.model
def test_info_discovers_control_tokens(backend):
    info = backend.info()
    assert info.name == backend.model
    assert info.context_length == 4096  # this server does not say; the default
    assert info.add_bos and info.specials.bos == 2  # Gemma's <bos>
    assert info.specials.by_text["<start_of_turn>"] == backend.tokenize("<start_of_turn>", special=True)[0]
    assert not info.specials.has_fim  # the demo model is a base model without FIM
    assert "<|fim_prefix|>" not in info.specials.by_text


@pytest.mark.model
def test_grammar_is_sent_to_the_server(backend):
    grammar = 'root ::= (" alpha" | " beta") [a-z]{0,3}'
    text = backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=6, grammar=grammar)).text
    assert text.startswith((" alpha", " beta"))
    assert backend.supports_grammar is True


@pytest.mark.model
def test_missing_or_wrong_api_key_is_named(server):
    with pytest.raises(BackendError, match=r"needs an API key \(HTTP 401\); set CODER_API_KEY"):
        OpenAICompatibleBackend(server)
    with pytest.raises(BackendError, match=r"rejected the API key \(HTTP 401\)"):
        OpenAICompatibleBackend(server, model="given", api_key="wrong").complete(add_request())


@pytest.mark.model
def test_wrong_path_is_one_line(server):
    with pytest.raises(BackendError) as raised:
        OpenAICompatibleBackend(server.removesuffix("/v1") + "/nope/v1", api_key=KEY)
    message = str(raised.value)
    assert "/nope/v1" in message and "did not list a model" in message and "\n" not in message
    backend = OpenAICompatibleBackend(server.removesuffix("/v1") + "/nope", model="m", api_key=KEY)
    with pytest.raises(BackendError, match=r"HTTP 404 on /nope/v1/completions"):
        backend.complete(add_request())


@pytest.mark.model
def test_coder_complete_through_the_server(server, tmp_path, monkeypatch, capsys):
    from coder.cli.main import main

    source = tmp_path / "calc.py"
    source.write_text("def add(a, b):\n    return\n")
    monkeypatch.setenv("CODER_BACKEND", "openai")
    monkeypatch.setenv("CODER_SERVER_URL", server)
    monkeypatch.setenv("CODER_API_KEY", KEY)
    assert main(["complete", f"{source}:2:11"]) == 0
    assert capsys.readouterr().out == " a + b\n"


def test_connection_refused_is_one_line():
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(BackendError) as raised:
        OpenAICompatibleBackend(url)
    message = str(raised.value)
    assert url in message and "refused the connection; is it running? set server_url" in message
    assert "\n" not in message
    with pytest.raises(BackendError, match="refused the connection"):
        OpenAICompatibleBackend(url, model="m").complete(add_request())


def test_bad_url_is_one_line():
    with pytest.raises(BackendError, match="is not an http"):
        OpenAICompatibleBackend("ftp://example.org/v1")


class _Misbehaving(http.server.BaseHTTPRequestHandler):
    """Answers every request with what the test put on the server object."""

    def do_GET(self):
        delay, status, body = self.server.reply
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def misbehaving():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_non_json_answer_is_one_line(misbehaving):
    misbehaving.reply = (0, 200, b"<html>hello</html>")
    url = f"http://127.0.0.1:{misbehaving.server_address[1]}/v1"
    with pytest.raises(BackendError, match=r"not JSON on /v1/models; is server_url an OpenAI-compatible server\?"):
        OpenAICompatibleBackend(url)
    with pytest.raises(BackendError, match="malformed event"):
        misbehaving.reply = (0, 200, b"data: {not json\n\n")
        OpenAICompatibleBackend(url, model="m").complete(add_request())


def test_server_error_and_timeout_are_one_line(misbehaving):
    url = f"http://127.0.0.1:{misbehaving.server_address[1]}/v1"
    misbehaving.reply = (0, 500, b'{"error": {"message": "out of\\nmemory"}}')
    with pytest.raises(BackendError) as raised:
        OpenAICompatibleBackend(url, model="m").complete(add_request())
    assert str(raised.value).endswith("HTTP 500 on /v1/completions: out of memory")
    misbehaving.reply = (2, 200, b"{}")
    started = time.perf_counter()
    with pytest.raises(BackendError, match=r"did not answer within 0.5s; is it running\?"):
        OpenAICompatibleBackend(url, timeout_s=0.5)
    assert time.perf_counter() - started < 2


def test_no_tokenize_endpoint_is_named(misbehaving):
    url = f"http://127.0.0.1:{misbehaving.server_address[1]}/v1"
    misbehaving.reply = (0, 404, b"not found")
    backend = OpenAICompatibleBackend(url, model="m")
    with pytest.raises(BackendError, match="has no tokenize endpoint"):
        backend.tokenize("x = 1")
    assert backend.info().specials.by_text == {}  # info still works, without control ids


def test_closed_backend_refuses_new_requests(misbehaving):
    url = f"http://127.0.0.1:{misbehaving.server_address[1]}/v1"
    backend = OpenAICompatibleBackend(url, model="m")
    backend.close()
    with pytest.raises(BackendError, match="is closed"):
        backend.stream(add_request())


@pytest.mark.model
def test_test_server_is_stopped_when_the_body_fails(demo_model):
    with pytest.raises(ZeroDivisionError):
        with local_openai_server(demo_model) as url:
            assert OpenAICompatibleBackend(url).model
            1 / 0
    with pytest.raises(BackendError, match="refused the connection"):
        OpenAICompatibleBackend(url)
