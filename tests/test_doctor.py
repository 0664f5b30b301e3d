"""`coder doctor` reports every piece, and what is wrong, without failing early."""

from __future__ import annotations

import json
import subprocess
import sys

from coder.cli.main import main


def test_doctor_reports_each_line(qwen_model, monkeypatch, capsys):
    monkeypatch.delenv("CODER_MODEL", raising=False)
    monkeypatch.delenv("CODER_CHAT_MODEL", raising=False)
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for key in ("model:", "chat model:", "backend:", "threads:", "languages:", "sandbox:", "config files:", "store:",
                "llama-cpp-python:"):
        assert key in out, key
    model_line = next(line for line in out.splitlines() if line.startswith("model:"))
    assert "qwen2.5-coder-0.5b-instruct" in model_line and "from installed" in model_line
    assert "python, javascript, typescript" in out


def test_doctor_json_and_a_broken_model_choice(tmp_path, monkeypatch, demo_model):
    monkeypatch.setenv("CODER_MODEL", str(tmp_path / "absent.gguf"))
    result = subprocess.run(
        [sys.executable, "-m", "coder", "doctor", "--json"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["healthy"] is False
    assert report["model"].startswith("error:") and "absent.gguf: no such file" in report["model"]
    assert "schema" in report["store"]  # later checks still ran


def test_doctor_names_a_bad_config_key(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CODER_HOME", str(tmp_path / "home"))
    config = tmp_path / "home" / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[completion]\nmax_tokens = 0\n")
    assert main(["doctor"]) == 1
    assert "completion.max_tokens must be a positive integer" in capsys.readouterr().out
