"""Completions on the default model, Qwen2.5-Coder-0.5B: FIM that needs the suffix,
the repository-level format, and a warmed cache. Real model, greedy, default settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

AREA = textwrap.dedent("""\
    def area(width, height):

        return result
""")
GEOMETRY = textwrap.dedent('''\
    """Shapes."""


    class Rectangle:
        def __init__(self, width, height):
            self.width = width
            self.height = height

        def corner_to_corner_distance(self):
            """The length of the rectangle's diagonal."""
            return (self.width ** 2 + self.height ** 2) ** 0.5
''')
MAIN = textwrap.dedent("""\
    from geometry import Rectangle


    def diagonal_of(width, height):
        shape = Rectangle(width, height)
        return shape.
""")


def _complete(position: str, cwd: Path, model: Path, *extra: str) -> dict:
    env = {**os.environ, "CODER_MODEL": str(model)}
    result = subprocess.run([sys.executable, "-m", "coder", "complete", position, "--json", *extra],
                            cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_fim_uses_the_suffix_to_bind_the_name_it_returns(tmp_path, qwen_model):
    (tmp_path / "area.py").write_text(AREA)
    suggestion = _complete("area.py:2:1", tmp_path, qwen_model)
    assert suggestion["format"].startswith("qwen")
    first = suggestion["text"].strip().splitlines()[0]
    assert first.replace(" ", "").startswith("result="), suggestion["text"]


@pytest.fixture
def geometry_repo(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "geometry.py").write_text(GEOMETRY)
    (repo / "main.py").write_text(MAIN)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo


def test_repository_level_fim_uses_a_name_from_another_file(geometry_repo, qwen_model):
    position = "main.py:6:18"
    with_repo = _complete(position, geometry_repo, qwen_model, "--context", "repo")
    assert with_repo["format"] == "qwen-repo"
    assert any(source.get("path") == "geometry.py" for source in with_repo["sources"]), with_repo["sources"]
    assert with_repo["text"].startswith("corner_to_corner_distance("), with_repo["text"]
    alone = _complete(position, geometry_repo, qwen_model, "--context", "none")
    assert "corner_to_corner_distance" not in alone["text"], alone["text"]


def test_a_warmed_file_pays_only_for_what_changed(geometry_repo, qwen_model):
    from coder.workspace import Workspace

    text = (geometry_repo / "main.py").read_text()
    line, column = 5, len("    return shape.")
    with Workspace.open(geometry_repo, explicit_model=str(qwen_model)) as workspace:
        request = workspace.completion_request(str(geometry_repo / "main.py"), text, line, column)
        warming = workspace.engine.warm(request)
        assert warming is not None
        warming.text()  # the editor would go on; the test waits for the warm-up to end
        assert warming.stats.evaluated_tokens > 30
        suggestion = workspace.engine.complete(request)
    assert suggestion.tokens["evaluated"] <= 1, suggestion.tokens
    assert suggestion.tokens["reused"] >= warming.stats.evaluated_tokens - 1


def test_a_user_request_preempts_warming(geometry_repo, qwen_model):
    from coder.workspace import Workspace

    text = (geometry_repo / "main.py").read_text()
    with Workspace.open(geometry_repo, explicit_model=str(qwen_model)) as workspace:
        far = workspace.completion_request(str(geometry_repo / "geometry.py"), GEOMETRY, 10, 8)
        near = workspace.completion_request(str(geometry_repo / "main.py"), text, 5, len("    return shape."))
        warming = workspace.engine.warm(far)
        suggestion = workspace.engine.complete(near)
        warming.text()
    assert warming.stats.finish_reason == "cancelled"
    assert suggestion.text


def test_typing_on_a_line_evaluates_only_what_was_typed(geometry_repo, qwen_model):
    """The hole starts at the line: each keystroke's prompt extends the last one, so
    the code below the cursor (the suffix) is not evaluated again."""
    from coder.workspace import Workspace

    path = geometry_repo / "report.py"
    above = MAIN.rsplit("\n", 2)[0] + "\n"  # up to the line that returns
    below = "\n\n\ndef report(width, height):\n    print(f\"diagonal {diagonal_of(width, height):.2f}\")\n"
    path.write_text(above + below)
    with Workspace.open(geometry_repo, explicit_model=str(qwen_model)) as workspace:
        results = []
        for typed in ("    ", "    return ", "    return shape.", "    return shape.corner"):
            text = above + typed + below
            request = workspace.completion_request(str(path), text, above.count("\n"), len(typed))
            results.append(workspace.engine.complete(request))
    first, *typing = results
    suffix_tokens = next(s["tokens"] for s in first.sources if s["kind"] == "local_suffix")
    assert suffix_tokens > 10
    for suggestion in typing:
        if suggestion.cached:
            continue  # typed into the shown suggestion: no model call
        # What was typed since (a word or two) and a re-merged last token, never the suffix again.
        assert suggestion.tokens["evaluated"] <= 6, suggestion.tokens
