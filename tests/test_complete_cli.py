"""`coder complete` end to end on the real default model (Qwen2.5-Coder-0.5B), as a user
runs it; the prefix-only path on the real demo model (Gemma-3-270M)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from coder.cli.main import main

pytestmark = pytest.mark.model

SOURCE = '''def add(a, b):
    return

def later():
    pass
'''


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "calc.py"
    path.write_text(SOURCE)
    return path


def test_complete_prints_the_suggestion_and_records_it(source, qwen_model, capsys):
    from coder.store import Store

    assert main(["complete", f"{source}:2:11"]) == 0
    assert capsys.readouterr().out == " a + b\n"
    with Store.open() as store:
        latest = store.recent_completions(1)[0]
    assert (latest["path"], latest["suggestion"], latest["language"]) == (str(source), " a + b", "python")


def test_complete_json_reports_range_timings_and_tokens(source, qwen_model, capsys):
    assert main(["complete", f"{source}:2:11", "--json", "--max-tokens", "8"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["text"] == " a + b"
    assert result["range"]["start"] == {"line": 2, "column": 11}
    assert result["tokens"]["prompt"] > 0 and result["tokens"]["generated"] >= 1
    assert result["tokens"]["evaluated"] + result["tokens"]["reused"] == result["tokens"]["prompt"]
    assert result["timings_ms"]["total"] > 0
    assert result["sources"][0]["kind"] == "local_prefix"


def test_complete_as_a_real_process_on_the_default_model(source, qwen_model):
    env = dict(os.environ)
    env.pop("CODER_MODEL", None)
    result = subprocess.run(
        [sys.executable, "-m", "coder", "complete", f"{source}:2:11", "--json"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert result.returncode == 0, result.stderr
    suggestion = json.loads(result.stdout)
    assert suggestion["text"] == " a + b" and suggestion["format"].startswith("qwen")
    assert result.stderr == ""  # the default model needs no notice


def test_the_prefix_only_path_on_a_model_without_fim(source, demo_model, capsys):
    assert main(["--model", str(demo_model), "complete", f"{source}:2:11", "--json"]) == 0
    suggestion = json.loads(capsys.readouterr().out)
    assert suggestion["format"] == "prefix-only"
    assert suggestion["text"] == " a + b"


@pytest.mark.parametrize(
    "position, message",
    [
        ("{src}:9:1", "line 9 is outside the file (6 lines)"),
        ("{src}:2:40", "column 40 is outside line 2"),
        ("{src}", "is not PATH:LINE:COL"),
        ("{src}:0:1", "lines and columns start at 1"),
        ("{dir}/missing.py:1:1", "missing.py: no such file"),
    ],
)
def test_bad_positions_are_one_line_errors(source, position, message, capsys):
    arg = position.format(src=source, dir=source.parent)
    assert main(["complete", arg]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_bad_model_path_is_one_line(source, tmp_path, capsys):
    bogus = tmp_path / "bogus.gguf"
    bogus.write_text("not a model")
    assert main(["--model", str(bogus), "complete", f"{source}:2:11"]) == 3
    err = capsys.readouterr().err
    assert "bogus.gguf: not a GGUF model file" in err and err.count("\n") == 1


def test_repo_context_puts_the_other_files_definition_in_the_prompt(tmp_path, qwen_model, capsys):
    import subprocess as sp

    root = tmp_path / "proj"
    root.mkdir()
    (root / "geometry.py").write_text(
        "def circle_area(radius):\n    \"\"\"Area of a circle.\"\"\"\n    return 3.14159 * radius * radius\n"
    )
    (root / "main.py").write_text("from geometry import circle_area\n\nprint(circle_area(2))\nresult = \n")
    sp.run(["git", "init", "-q", str(root)], check=True)
    assert main(["complete", f"{root / 'main.py'}:4:10", "--json", "--context", "repo"]) == 0
    result = json.loads(capsys.readouterr().out)
    definitions = [s for s in result["sources"] if s["kind"] == "definition"]
    assert definitions and definitions[0]["path"] == "geometry.py" and definitions[0]["name"] == "circle_area"
    assert result["format"] == "qwen-repo"
    assert main(["complete", f"{root / 'main.py'}:4:10", "--json", "--context", "local"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert not [s for s in local["sources"] if s["kind"] == "definition"]


def test_grounded_member_completion_writes_a_real_member(tmp_path, qwen_model, capsys):
    import subprocess as sp

    root = tmp_path / "shop"
    root.mkdir()
    (root / "cart.py").write_text(
        "class Cart:\n"
        "    def __init__(self):\n        self.items = []\n\n"
        "    def add_item(self, item):\n        self.items.append(item)\n\n"
        "    def total_price(self):\n        return sum(i.price for i in self.items)\n"
    )
    (root / "main.py").write_text("from cart import Cart\n\ncart = Cart()\ncart.\n")
    sp.run(["git", "init", "-q", str(root)], check=True)
    assert main(["complete", f"{root / 'main.py'}:4:6", "--json", "--context", "repo"]) == 0
    result = json.loads(capsys.readouterr().out)
    grounding = result["grounding"]
    assert grounding["confidence"] == "high" and grounding["constrained"] is True
    assert grounding["invalid_names"] == []
    first = result["text"].split("(")[0].strip()
    assert first in {"items", "add_item", "total_price"}, result["text"]
