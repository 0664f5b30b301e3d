"""The llama.cpp worker backend on the real demo model (greedy decoding)."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time

import pytest

from coder.errors import BackendError, ModelError
from coder.models.backend import GenerationRequest
from coder.models.llama_backend import LlamaWorkerBackend

pytestmark = pytest.mark.model

ADD_PROMPT = "def add(a, b):\n    return"
LONG_PROMPT = "# A long list of numbers\nnumbers = [1, 2, 3,"


@pytest.fixture(scope="module")
def backend(demo_model):
    with LlamaWorkerBackend(demo_model, n_ctx=2048, n_threads=2) as backend:
        yield backend


def test_completes_add_through_the_worker(backend):
    completion = backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=8, stop=("\n",)))
    assert completion.text == " a + b"
    assert completion.stats.finish_reason == "stop"
    assert completion.stats.generated_tokens >= 3


def test_model_info_describes_the_demo_model(backend, demo_model):
    info = backend.info()
    assert info.architecture == "gemma3"
    assert info.add_bos is True
    assert info.specials.bos is not None and info.specials.eos is not None
    assert not info.specials.has_fim  # a base model without FIM tokens
    assert info.specials.by_text["<start_of_turn>"] > 0
    assert info.context_length == 2048
    assert info.train_context_length == 32768
    assert info.chat_template is None  # the base model has none
    assert info.path == str(demo_model)
    # The control-token table is cached on disk so later loads skip the vocab scan.
    from coder import paths

    assert list((paths.cache_dir() / "models").glob("control-tokens-*.json"))


def test_tokenize_round_trip_and_special_handling(backend):
    text = "def f(x):\n    return x * 2  # ünïcode"
    ids = backend.tokenize(text)
    assert backend.detokenize(ids) == text
    control = backend.info().specials.by_text["<start_of_turn>"]
    as_text = backend.tokenize("<start_of_turn>", special=False)
    assert control not in as_text and len(as_text) > 1
    assert backend.tokenize("<start_of_turn>", special=True) == [control]


def test_kv_cache_prefix_is_reused(backend):
    first = backend.complete(GenerationRequest("import os\nimport sys\n\n\ndef main():\n", max_tokens=2))
    second = backend.complete(
        GenerationRequest("import os\nimport sys\n\n\ndef main():\n    args =", max_tokens=2)
    )
    assert first.stats.prompt_tokens > 5
    assert second.stats.reused_tokens >= first.stats.prompt_tokens - 2
    assert second.stats.evaluated_tokens == second.stats.prompt_tokens - second.stats.reused_tokens


def test_repeated_prompt_is_served_entirely_from_the_cache(backend):
    # After a one-token request nothing past the prompt was decoded, so the same
    # prompt again needs no evaluation at all (llama.cpp samples from saved logits).
    request = GenerationRequest("class Stack:\n    def push(self, item):\n", max_tokens=1)
    first = backend.complete(request)
    again = backend.complete(request)
    assert again.text == first.text
    assert again.stats.reused_tokens == again.stats.prompt_tokens
    assert again.stats.evaluated_tokens == 0


def test_token_id_prompt_is_used_verbatim(backend):
    ids = [backend.info().specials.bos] + backend.tokenize(ADD_PROMPT)
    completion = backend.complete(GenerationRequest(ids, max_tokens=8, stop=("\n",)))
    assert completion.text == " a + b"
    assert completion.stats.prompt_tokens == len(ids)


def test_max_tokens_ends_with_length(backend):
    completion = backend.complete(GenerationRequest(LONG_PROMPT, max_tokens=5))
    assert completion.stats.finish_reason == "length"
    assert completion.stats.generated_tokens == 5


def test_stop_sequence_is_not_returned(backend):
    completion = backend.complete(GenerationRequest(LONG_PROMPT, max_tokens=30, stop=(" 6",)))
    assert completion.stats.finish_reason == "stop"
    assert completion.text.startswith(" 4, 5,")
    assert " 6" not in completion.text


def test_seed_makes_sampling_reproducible(backend):
    # Same KV-cache state before each sampled run: batched and single-token evaluation
    # may differ in the last bits, which sampling can amplify.
    reset = GenerationRequest("Once upon a time", max_tokens=1)
    request = GenerationRequest("The weather today is", max_tokens=12, temperature=0.9, seed=42)
    backend.complete(reset)
    first = backend.complete(request).text
    backend.complete(reset)
    assert backend.complete(request).text == first


def test_grammar_constrains_the_output(backend):
    grammar = 'root ::= ("alpha" | "beta") [a-z ]*'
    completion = backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=6, grammar=grammar))
    assert completion.text.startswith(("alpha", "beta"))
    assert set(completion.text) <= set("abcdefghijklmnopqrstuvwxyz ")
    # The same grammar again (served from the worker's cache of parsed grammars,
    # reset between uses) gives the same greedy output.
    again = backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=6, grammar=grammar))
    assert again.text == completion.text


def test_first_token_bias_steers_only_the_first_token_and_leaves_the_cache_clean(backend):
    plain = backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=4, stop=("\n",)))
    assert plain.text == " a + b"[: len(plain.text)] and plain.text
    favoured = backend.tokenize(" x")
    assert len(favoured) == 1
    biased = backend.complete(
        GenerationRequest(ADD_PROMPT, max_tokens=4, stop=("\n",), first_token_bias=((favoured[0], 100.0),))
    )
    assert biased.text.startswith(" x") and len(biased.text) > 2  # the tokens after it are free
    # One biased token, so nothing is decoded after it: the next request for the same
    # prompt is served from the KV cache and its logits, which must be the model's
    # own again, not the biased ones.
    one = backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=1, first_token_bias=((favoured[0], 100.0),)))
    assert one.text == " x"
    again = backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=4, stop=("\n",)))
    assert again.stats.evaluated_tokens == 0
    assert again.text == plain.text
    # A bias on a token the grammar forbids cannot force it.
    grammar = 'root ::= " a" [a-z +]*'
    constrained = backend.complete(
        GenerationRequest(ADD_PROMPT, max_tokens=4, grammar=grammar, first_token_bias=((favoured[0], 100.0),))
    )
    assert constrained.text.startswith(" a")


def test_grammar_that_ends_stops_generation(backend):
    grammar = 'root ::= " a + b" | " x"'
    completion = backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=10, grammar=grammar))
    assert completion.text in (" a + b", " x")
    assert completion.stats.finish_reason == "stop"


def test_generated_multibyte_text_is_never_split(backend):
    prompt = "# Kommentar: Größenänderung für Ärzte, Übersetzungen, naïve café — "
    pieces = list(backend.stream(GenerationRequest(prompt, max_tokens=16)))
    assert pieces
    assert all("\ufffd" not in piece for piece in pieces)


def test_invalid_grammar_is_a_one_line_error(backend):
    with pytest.raises(BackendError) as raised:
        backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=4, grammar="root ::= ("))
    assert "\n" not in str(raised.value)
    assert backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=8, stop=("\n",))).text == " a + b"


def test_prompt_larger_than_the_context_is_refused(backend):
    with pytest.raises(BackendError, match="exceeds the context"):
        backend.complete(GenerationRequest(list(range(10, 2100)), max_tokens=4))


def test_newer_request_on_a_channel_cancels_the_older(backend):
    old = backend.stream(GenerationRequest(LONG_PROMPT, max_tokens=400, channel="doc"))
    pieces = iter(old)
    next(pieces)  # the old generation is running in the worker now
    started = time.perf_counter()
    new = backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=8, stop=("\n",), channel="doc"))
    list(pieces)
    assert old.stats.finish_reason == "cancelled"
    assert old.stats.generated_tokens < 400
    assert new.text == " a + b"
    assert time.perf_counter() - started < 5


def test_cancel_from_another_thread_stops_generation(backend):
    generation = backend.stream(GenerationRequest(LONG_PROMPT, max_tokens=400))
    threading.Timer(0.3, generation.cancel).start()
    generation.text()
    assert generation.stats.finish_reason == "cancelled"
    assert generation.stats.generated_tokens < 400


def test_cancel_interrupts_a_long_prompt(backend):
    # ~1,500 prompt tokens take seconds to evaluate; llama.cpp's abort callback lets
    # a cancel stop the batch being decoded instead of running the whole prompt.
    prompt = "\n".join(f"value_{i} = compute({i}, {i * 7 % 13})" for i in range(100))
    generation = backend.stream(GenerationRequest(prompt, max_tokens=4))
    threading.Timer(0.3, generation.cancel).start()
    generation.text()
    assert generation.stats.finish_reason == "cancelled"
    assert generation.stats.generated_tokens == 0
    assert generation.stats.prompt_tokens > 1000
    assert generation.stats.evaluated_tokens < 512  # not even the first batch finished
    follow = backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=8, stop=("\n",)))
    assert follow.text == " a + b"
    # A prompt that is a prefix of the aborted one is not served from stale logits.
    again = backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=8, stop=("\n",)))
    assert again.text == " a + b"


def test_concurrent_callers_are_serialized(backend):
    prompts = [
        "def add(a, b):\n    return",
        "def multiply(a, b):\n    return",
        "def subtract(a, b):\n    return",
        "def negate(x):\n    return",
    ]

    def call(prompt: str) -> str:
        return backend.complete(GenerationRequest(prompt, max_tokens=8, stop=("\n",))).text

    alone = {prompt: call(prompt) for prompt in prompts}
    assert alone[prompts[0]] == " a + b"
    together: dict[str, str] = {}
    threads = [
        threading.Thread(target=lambda p=prompt: together.__setitem__(p, call(p)))
        for prompt in prompts
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert together == alone


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGABRT])
def test_worker_crash_mid_request_is_reported_and_recovered(backend, signum):
    generation = backend.stream(GenerationRequest(LONG_PROMPT, max_tokens=400))
    pieces = iter(generation)
    next(pieces)
    old_pid = backend.worker_pid
    os.kill(old_pid, signum)
    with pytest.raises(BackendError) as raised:
        list(pieces)
    message = str(raised.value)
    assert signal.Signals(signum).name in message and "restarted" in message
    assert "\n" not in message
    assert backend.worker_pid != old_pid
    completion = backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=8, stop=("\n",)))
    assert completion.text == " a + b"


@pytest.mark.parametrize("kind", ["missing", "truncated", "random", "text", "gguf-garbage"])
def test_bad_model_files_give_one_line_model_error(tmp_path, demo_model, kind):
    path = tmp_path / f"{kind}.gguf"
    if kind == "truncated":
        with open(demo_model, "rb") as source:
            path.write_bytes(source.read(4_000_000))
    elif kind == "random":
        path.write_bytes(os.urandom(200_000))
    elif kind == "text":
        path.write_text("this is not a model\n" * 100)
    elif kind == "gguf-garbage":
        path.write_bytes(b"GGUF" + os.urandom(200_000))
    started = time.perf_counter()
    with pytest.raises(ModelError) as raised:
        LlamaWorkerBackend(path, n_ctx=512, load_timeout_s=60)
    assert str(path) in str(raised.value)
    assert "\n" not in str(raised.value)
    assert time.perf_counter() - started < 30


def test_process_is_fine_after_bad_model_files(backend):
    completion = backend.complete(GenerationRequest(ADD_PROMPT, max_tokens=8, stop=("\n",)))
    assert completion.text == " a + b"


def test_load_that_exceeds_its_timeout_is_a_model_error(demo_model):
    with pytest.raises(ModelError, match="took longer than"):
        LlamaWorkerBackend(demo_model, n_ctx=512, load_timeout_s=0.05)


def test_forgotten_backend_stops_its_worker_when_collected(demo_model):
    backend = LlamaWorkerBackend(demo_model, n_ctx=512, n_threads=1)
    pid = backend.worker_pid
    os.kill(pid, 0)  # running
    del backend
    gc.collect()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}")  # exited and reaped: no zombie left


def test_a_fault_in_a_build_with_amx_names_the_rebuild():
    from coder.models.llama_backend import _fault_hint

    with_amx = "CPU : AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | OPENMP = 1 |"
    without = "CPU : AVX2 = 1 | AVX512 = 1 | OPENMP = 1 |"
    assert "install_llama_cpp.sh" in _fault_hint(-signal.SIGSEGV, with_amx)
    assert "AMX" in _fault_hint(-signal.SIGILL, with_amx)
    assert _fault_hint(-signal.SIGSEGV, without) == ""
    assert _fault_hint(-signal.SIGKILL, with_amx) == ""  # killed, not a fault
    assert _fault_hint(1, with_amx) == ""


def test_the_worker_reports_what_llama_cpp_was_built_for(backend):
    features = backend._host.cpu_features
    assert features.startswith("CPU :") and ("AVX" in features or "NEON" in features), features
