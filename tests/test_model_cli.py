"""`coder model ...` and the model resolution order, with real files."""

from __future__ import annotations

import subprocess
import sys

import pytest

from coder import paths
from coder.cli.main import main
from coder.errors import ModelError
from coder.models import registry
from coder.models.resolve import resolve_model, set_configured_model
from tests.support.tiny_gguf import build_tiny_qwen_gguf


@pytest.fixture
def home(tmp_path, monkeypatch, demo_model):
    """A fresh CODER_HOME that shares the session's assembled demo model."""
    monkeypatch.setenv("CODER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CODER_MODEL", raising=False)
    models = paths.models_dir()
    models.mkdir(parents=True)
    for source in demo_model.parent.glob("gemma-3-270m-q4_k_m*"):
        (models / source.name).hardlink_to(source)
    return tmp_path


def pull_stand_in(name: str):
    """Put a verified file where `coder model pull NAME` would."""
    import json

    model = registry.find_model(name)
    path = build_tiny_qwen_gguf(paths.models_dir() / model.filename)
    stat = path.stat()
    path.with_suffix(".verified.json").write_text(json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}))
    return path


def test_demo_is_the_fallback_with_a_notice(home):
    resolved = resolve_model(None, None, env={})
    assert resolved.source == "demo" and resolved.name == "gemma3-270m-demo"
    assert "coder model pull" in resolved.notice


def test_pulled_qwen_beats_the_demo(home):
    path = pull_stand_in("qwen2.5-coder-0.5b")
    resolved = resolve_model(None, None, env={})
    assert (resolved.path, resolved.source, resolved.notice) == (path, "pulled", None)


def test_order_explicit_env_config(home, tmp_path):
    tiny = build_tiny_qwen_gguf(tmp_path / "mine.gguf")
    assert resolve_model(str(tiny), "gemma3-270m-demo", env={"CODER_MODEL": "x"}).source == "--model"
    assert resolve_model(None, "gemma3-270m-demo", env={"CODER_MODEL": str(tiny)}).path == tiny
    assert resolve_model(None, str(tiny), env={}).source == "config"


def test_known_but_not_pulled_says_what_to_run(home):
    with pytest.raises(ModelError, match=r"run `coder model pull qwen2.5-coder-3b`"):
        resolve_model("qwen2.5-coder-3b", None, env={})


def test_unknown_name_is_one_line(home):
    with pytest.raises(ModelError, match="unknown model 'qwen-9000'"):
        resolve_model("qwen-9000", None, env={})


def test_default_by_ram():
    gb = registry.GB
    assert registry.default_model(4 * gb).name == "qwen2.5-coder-0.5b"
    assert registry.default_model(16 * gb).name == "qwen2.5-coder-1.5b"
    assert registry.default_model(64 * gb).name == "qwen2.5-coder-7b"
    assert registry.default_model(1 * gb).name == "qwen2.5-coder-0.5b"
    assert registry.default_model(64 * gb, role="chat").name == "qwen2.5-coder-7b-instruct"


def test_use_writes_the_config_and_keeps_other_keys(home, capsys):
    config = paths.user_config_file()
    config.parent.mkdir(parents=True)
    config.write_text('threads = 2\nmodel = "old"\n\n[completion]\nmax_tokens = 12\n')
    assert main(["model", "use", "gemma3-270m-demo"]) == 0
    assert config.read_text() == 'threads = 2\nmodel = "gemma3-270m-demo"\n\n[completion]\nmax_tokens = 12\n'
    from coder.settings import load_settings

    settings = load_settings(start=home, env={})
    assert settings.model == "gemma3-270m-demo" and settings.completion.max_tokens == 12


def test_use_refuses_a_missing_file(home, capsys):
    assert main(["model", "use", str(home / "nope.gguf")]) == 3
    assert "no such file" in capsys.readouterr().err
    assert not paths.user_config_file().exists()


def test_list_marks_the_model_in_use(home, capsys):
    pull_stand_in("qwen2.5-coder-0.5b")
    assert main(["model", "list"]) == 0
    out = capsys.readouterr().out
    in_use = [line for line in out.splitlines() if line.startswith("* ")]
    assert len(in_use) == 1 and in_use[0].split()[1] == "qwen2.5-coder-0.5b"
    assert in_use[0].endswith("present") and "not pulled" in out


def test_info_shows_fim_tokens_of_a_qwen_vocabulary(home, tmp_path, capsys):
    tiny = build_tiny_qwen_gguf(tmp_path / "tiny.gguf")
    assert main(["model", "info", str(tiny)]) == 0
    out = capsys.readouterr().out
    assert "architecture:   llama" in out and "fim_prefix=" in out and "chat template:  none" in out


def test_model_list_as_a_real_process(home):
    result = subprocess.run([sys.executable, "-m", "coder", "model", "list"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "gemma3-270m-demo" in result.stdout
