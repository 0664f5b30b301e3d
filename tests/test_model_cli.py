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
def home(tmp_path, monkeypatch, demo_model, qwen_model):
    """A fresh CODER_HOME that shares the session's joined default and demo models."""
    monkeypatch.setenv("CODER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CODER_MODEL", raising=False)
    monkeypatch.delenv("CODER_CHAT_MODEL", raising=False)
    models = paths.models_dir()
    models.mkdir(parents=True)
    for source in [*demo_model.parent.glob("gemma-3-270m-q4_k_m*"), *qwen_model.parent.glob(qwen_model.stem + ".*")]:
        if not source.name.endswith(".lock"):
            (models / source.name).hardlink_to(source)
    # As on a machine with the default install: the 1.5B's parts are an extra, which a
    # developer's environment may have installed.
    from coder.models import pypi_parts

    installed = pypi_parts.parts_installed
    monkeypatch.setattr(pypi_parts, "parts_installed",
                        lambda parted: parted is not registry.QWEN_15B_INSTRUCT.pypi and installed(parted))
    return tmp_path


@pytest.fixture
def without_qwen(monkeypatch):
    """As on a machine where the Qwen part packages are not installed."""
    from coder.models import pypi_parts

    for model in (registry.QWEN_05B_INSTRUCT, registry.QWEN_15B_INSTRUCT):
        for suffix in (".gguf", ".verified.json"):
            (paths.models_dir() / model.filename).with_suffix(suffix).unlink(missing_ok=True)
    monkeypatch.setattr(pypi_parts, "parts_installed", lambda parted: False)


def pull_stand_in(name: str):
    """Put a verified file where `coder model pull NAME` would."""
    import json

    model = registry.find_model(name)
    path = build_tiny_qwen_gguf(paths.models_dir() / model.filename)
    stat = path.stat()
    path.with_suffix(".verified.json").write_text(json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}))
    return path


def test_the_installed_qwen_05b_is_the_default(home):
    resolved = resolve_model(None, None, env={})
    assert (resolved.name, resolved.source, resolved.notice) == ("qwen2.5-coder-0.5b-instruct", "installed", None)
    assert resolved.path == paths.models_dir() / registry.QWEN_05B_INSTRUCT.filename


def test_demo_is_the_fallback_with_a_notice(home, without_qwen):
    resolved = resolve_model(None, None, env={})
    assert resolved.source == "demo" and resolved.name == "gemma3-270m-demo"
    assert "coder model install qwen2.5-coder-0.5b-instruct" in resolved.notice


def test_a_pulled_completion_model_beats_the_installed_default(home):
    path = pull_stand_in("qwen2.5-coder-1.5b")
    resolved = resolve_model(None, None, env={})
    assert (resolved.path, resolved.source, resolved.notice) == (path, "pulled", None)


def test_chat_prefers_the_15b_when_installed_else_the_05b(home):
    from coder.models.resolve import resolve_chat_model

    assert resolve_chat_model(None, None, env={}).name == "qwen2.5-coder-0.5b-instruct"
    pull_stand_in("qwen2.5-coder-1.5b-instruct")
    chosen = resolve_chat_model(None, None, env={})
    assert (chosen.name, chosen.source) == ("qwen2.5-coder-1.5b-instruct", "installed")
    assert resolve_chat_model(None, "qwen2.5-coder-0.5b-instruct", env={}).source == "config"
    assert resolve_chat_model(None, None, env={"CODER_CHAT_MODEL": "gemma3-270m-demo"}).name == "gemma3-270m-demo"


def test_a_missing_pypi_model_says_how_to_install_it(home, without_qwen):
    with pytest.raises(ModelError, match=r"coder model install qwen2.5-coder-1.5b-instruct.*coder\[qwen-1-5b\]"):
        resolve_model("qwen2.5-coder-1.5b-instruct", None, env={})


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


def test_default_by_role_and_ram():
    gb = registry.GB
    # Completion is latency-bound: the 0.5B whatever the RAM.
    assert registry.default_model(4 * gb).name == "qwen2.5-coder-0.5b-instruct"
    assert registry.default_model(64 * gb).name == "qwen2.5-coder-0.5b-instruct"
    # Chat is quality-bound: the 1.5B where a quarter of the RAM holds it.
    assert registry.default_model(16 * gb, role="chat").name == "qwen2.5-coder-1.5b-instruct"
    assert registry.default_model(8 * gb, role="chat").name == "qwen2.5-coder-0.5b-instruct"


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


def test_list_shows_size_ram_role_source_and_which_model_serves_what(home, capsys):
    assert main(["model", "list"]) == 0
    out = capsys.readouterr().out
    small = next(line for line in out.splitlines() if "qwen2.5-coder-0.5b-instruct" in line)
    assert small.split()[0] == "ca"  # completion and chat both use it here
    assert "491.4 MB" in small and "1.5 GB" in small and "pypi+hub" in small and small.endswith("present")
    large = next(line for line in out.splitlines() if "qwen2.5-coder-1.5b-instruct" in line)
    assert large.endswith("not installed") and "chat+completion" in large
    assert "not pulled" in out


def test_list_does_not_join_installed_parts(home, capsys):
    """Listing is instant: parts installed but not joined stay unjoined (a join copies 491 MB)."""
    models = paths.models_dir()
    for path in models.glob("qwen2.5-coder-0.5b-instruct*"):
        path.unlink()
    assert main(["model", "list"]) == 0
    small = next(line for line in capsys.readouterr().out.splitlines() if "qwen2.5-coder-0.5b-instruct" in line)
    assert small.split()[0] == "ca" and small.endswith("installed (joined on first use)")
    assert not list(models.glob("qwen2.5-coder-0.5b-instruct*"))


def test_install_joins_the_installed_parts(home):
    import os

    models = paths.models_dir()
    for path in models.glob("qwen2.5-coder-0.5b-instruct*"):
        path.unlink()
    result = subprocess.run([sys.executable, "-m", "coder", "model", "install", "qwen2.5-coder-0.5b-instruct"],
                            capture_output=True, text=True, timeout=300, env={**os.environ, "CODER_HOME": str(home / "home")})
    assert result.returncode == 0, result.stderr
    assert "SHA-256 verified" in result.stdout
    assert (models / registry.QWEN_05B_INSTRUCT.filename).stat().st_size == registry.QWEN_05B_INSTRUCT.size_bytes


def test_install_of_a_hub_only_model_points_at_pull(home, capsys):
    assert main(["model", "install", "qwen2.5-coder-7b-instruct"]) == 3
    assert "coder model pull qwen2.5-coder-7b-instruct" in capsys.readouterr().err


def test_info_shows_fim_tokens_of_a_qwen_vocabulary(home, tmp_path, capsys):
    tiny = build_tiny_qwen_gguf(tmp_path / "tiny.gguf")
    assert main(["model", "info", str(tiny)]) == 0
    out = capsys.readouterr().out
    assert "architecture:   llama" in out and "fim_prefix=" in out and "chat template:  none" in out


def test_model_list_as_a_real_process(home):
    result = subprocess.run([sys.executable, "-m", "coder", "model", "list"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "gemma3-270m-demo" in result.stdout
