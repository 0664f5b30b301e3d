"""`coder model pull` through the real huggingface_hub client against a local hub."""

from __future__ import annotations

import dataclasses

import pytest

from coder.errors import ModelError
from coder.models import registry
from coder.models.pull import is_present, pull_model
from tests.support.fake_hub import FakeHub
from tests.support.tiny_gguf import build_tiny_qwen_gguf

MODEL = dataclasses.replace(
    registry.find_model("qwen2.5-coder-0.5b"), repo="test-org/tiny-GGUF", filename="tiny.gguf"
)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CODER_HOME", str(tmp_path / "home"))
    return tmp_path


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    return build_tiny_qwen_gguf(tmp_path_factory.mktemp("hub") / "tiny.gguf").read_bytes()


def test_pull_downloads_and_verifies(home, content):
    with FakeHub({f"{MODEL.repo}/{MODEL.filename}": content}) as hub:
        path = pull_model(MODEL, endpoint=hub.endpoint, progress=False)
        assert path.read_bytes() == content and is_present(path)
        assert pull_model(MODEL, endpoint=hub.endpoint, progress=False) == path
        assert len(hub.gets) == 1  # the second pull found the verified file


def test_interrupted_pull_resumes(home, tmp_path):
    # Larger than the hub client's 10 MB write chunk, so a broken transfer leaves bytes.
    content = build_tiny_qwen_gguf(tmp_path / "big.gguf", padding_bytes=24_000_000).read_bytes()
    half = len(content) // 2
    with FakeHub({f"{MODEL.repo}/{MODEL.filename}": content}, drop_after=half) as hub:
        path = pull_model(MODEL, endpoint=hub.endpoint, progress=False)
        assert path.read_bytes() == content and is_present(path)
        assert hub.gets[0] is None and len(hub.gets) == 2
        resumed_at = int(hub.gets[1].removeprefix("bytes=").rstrip("-"))
        assert 0 < resumed_at <= half  # continued from what it had, not started again


def test_corrupt_download_is_removed(home, content):
    with FakeHub({f"{MODEL.repo}/{MODEL.filename}": content}, announced_sha="ab" * 32) as hub:
        with pytest.raises(ModelError, match="corrupt.*sha256") as raised:
            pull_model(MODEL, endpoint=hub.endpoint, progress=False)
    assert "\n" not in str(raised.value)
    from coder.models.pull import model_file

    assert not model_file(MODEL).exists()


def test_unreachable_hub_is_one_line(home):
    with pytest.raises(ModelError) as raised:
        pull_model(MODEL, endpoint="http://127.0.0.1:9", progress=False)
    assert "could not download tiny.gguf" in str(raised.value) and "\n" not in str(raised.value)
