"""GGUF header reading and validation: real files, broken files, random bytes."""

from __future__ import annotations

import os
import random

import pytest

from coder.errors import ModelError
from coder.models.gguf_file import inspect_gguf, validate_gguf
from tests.support.tiny_gguf import build_tiny_qwen_gguf


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_qwen_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf")


def test_demo_model_metadata(demo_model):
    summary = inspect_gguf(demo_model)
    assert summary.architecture == "gemma3"
    assert summary.file_type == "Q4_K_M"
    assert summary.context_length == 32768
    assert summary.fim_tokens == {} and not summary.has_fim
    assert summary.vocab_size == 262144


def test_tiny_qwen_vocabulary_has_fim_tokens(tiny):
    summary = inspect_gguf(tiny)
    assert summary.has_fim
    assert set(summary.fim_tokens) == {"fim_prefix", "fim_suffix", "fim_middle", "file_sep", "repo_name"}
    assert summary.tokenizer_model == "gpt2"


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda p, t: None, "no such file"),
        (lambda p, t: p.write_bytes(b""), "the file is empty"),
        (lambda p, t: p.write_text("hello, not a model\n"), "bad magic"),
        (lambda p, t: p.write_bytes(t.read_bytes()[: len(t.read_bytes()) // 2]), "truncated"),
        (lambda p, t: p.write_bytes(t.read_bytes()[:300]), "truncated"),
        (lambda p, t: p.write_bytes(b"GGUF" + (99).to_bytes(4, "little") + b"\0" * 64), "unsupported GGUF version 99"),
    ],
)
def test_broken_files_give_one_line_errors(tmp_path, tiny, make, problem):
    path = tmp_path / "model.gguf"
    make(path, tiny)
    with pytest.raises(ModelError) as raised:
        validate_gguf(path)
    message = str(raised.value)
    assert message.startswith(str(path)) and problem in message and "\n" not in message


def test_random_and_mutated_headers_never_crash(tmp_path, tiny):
    rng = random.Random(7)
    original = bytearray(tiny.read_bytes()[:4096])
    path = tmp_path / "fuzz.gguf"
    for round_ in range(200):
        if round_ % 2:
            data = os.urandom(rng.randint(1, 2048))
        else:
            data = bytearray(original)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(8, len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        try:
            validate_gguf(path)
        except ModelError as error:
            assert "\n" not in str(error)
