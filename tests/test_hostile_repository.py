"""A repository's code never runs inside coder (it may be hostile, or half-edited).

The repository below ships modules named like coder's dependencies and Python's
start-up hooks; each writes a marker file outside the repository when imported. Every
command a user runs inside it must work, print no traceback, and leave no marker:
the model worker, the index, the resolver and ``python -m coder`` all import from
coder's own environment only.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

# Modules coder or its dependencies import, start-up hooks, and standard-library
# names a careless sys.path would let a repository shadow.
TRAPPED_MODULES = (
    "jinja2", "llama_cpp", "numpy", "typing_extensions", "tree_sitter", "tree_sitter_python",
    "yaml", "requests", "platformdirs", "pathspec", "gguf", "git", "huggingface_hub",
    "typeshed_client", "markupsafe", "diskcache", "sitecustomize", "usercustomize",
    "pathlib", "json", "subprocess", "sqlite3", "tomllib",
)
APP = """import jinja2
import numpy as np
from pathlib import Path


def render(name):
    env = jinja2.Environment()
    template = env.from_string("Hello {{ name }}")
    return template.render(name=name)


def total(values):
    return np.
"""


def _trap(marker_dir: Path, name: str) -> str:
    return (f"open({str(marker_dir / name)!r}, 'w').write('imported')\n"
            "raise SystemExit('a repository module was imported by coder')\n")


@pytest.fixture(scope="module")
def hostile_repo(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    markers = base / "markers"
    markers.mkdir()
    repo = base / "repo"
    repo.mkdir()
    for name in TRAPPED_MODULES:
        if name in ("sitecustomize", "usercustomize", "pathlib", "subprocess", "tree_sitter"):
            (repo / f"{name}.py").write_text(_trap(markers, name))
        else:
            (repo / name).mkdir()
            (repo / name / "__init__.py").write_text(_trap(markers, name))
    # .pth files run code when Python processes a site directory: one at the root and
    # one in a project virtualenv that the resolver reads (as text) for installed names.
    (repo / "trap.pth").write_text(f"import os; open({str(markers / 'root-pth')!r}, 'w')\n")
    site = repo / ".venv" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (site / "trapmod").mkdir(parents=True)
    (site / "trapmod" / "__init__.py").write_text(_trap(markers, "venv-trapmod"))
    (site / "trap.pth").write_text(f"import os; open({str(markers / 'venv-pth')!r}, 'w')\n")
    (repo / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (repo / "app.py").write_text(APP)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo, markers


def _run(command: list[str], repo: Path, model: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(CODER_MODEL=str(model), CODER_COMPLETION_PROMPT_TOKENS="384")
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=600)


def _coder_script() -> str:
    script = Path(sys.executable).parent / "coder"
    assert script.exists(), "coder's console script is not installed in this environment"
    return str(script)


COMMANDS = [
    ["complete", "app.py:13:15", "--context", "none"],
    ["complete", "app.py:13:15", "--context", "local"],
    ["complete", "app.py:13:15", "--context", "repo", "--json"],
    ["complete", "app.py:7:18"],
    ["index"],
    ["index", "--map"],
    ["doctor"],
    ["model", "list"],
    ["model", "info", "qwen2.5-coder-0.5b-instruct"],
]


# `python -m coder` puts the working directory first on sys.path, the script does not:
# the commands that load the model, the index and the resolver show the difference.
MODULE_COMMANDS = [COMMANDS[2], COMMANDS[5], COMMANDS[6]]


@pytest.mark.parametrize("how", ["script", "python -m coder"])
def test_every_command_works_and_runs_nothing_from_the_repository(hostile_repo, qwen_model, how):
    repo, markers = hostile_repo
    prefix = [_coder_script()] if how == "script" else [sys.executable, "-m", "coder"]
    for arguments in COMMANDS if how == "script" else MODULE_COMMANDS:
        result = _run(prefix + arguments, repo, qwen_model)
        assert result.returncode == 0, (arguments, result.stderr[-2000:])
        assert "Traceback" not in result.stderr, (arguments, result.stderr[-2000:])
        assert not list(markers.iterdir()), (arguments, sorted(p.name for p in markers.iterdir()))
    assert not list(markers.iterdir())


def test_a_worker_that_cannot_import_says_which_import_failed(tmp_path, qwen_model):
    """Coder's own environment broken (not the repository's doing): the message names
    the import and the file, not the model."""
    from coder.models.llama_worker import _describe_import_failure

    try:
        compile("def broken(:\n", str(tmp_path / "jinja2" / "idtracking.py"), "exec")
    except SyntaxError as error:
        message = _describe_import_failure("llama_cpp", error)
    assert "importing llama_cpp failed in" in message and "idtracking.py" in message
    assert "SyntaxError" in message and "\n" not in message


def test_completing_inside_a_half_edited_jinja2_checkout(tmp_path, qwen_model):
    """The case that found the defect: jinja2's own source as the repository, the cursor
    after a `.` with the rest of the line not typed yet."""
    installed = Path(importlib.util.find_spec("jinja2").origin).parent
    repo = tmp_path / "jinja"
    shutil.copytree(installed, repo / "jinja2", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    source = repo / "jinja2" / "idtracking.py"
    lines = source.read_text().split("\n")
    number = next(i for i, line in enumerate(lines) if i >= 150 and "self." in line and "=" not in line.split("self.")[0])
    cut = lines[number].index("self.") + len("self.")
    lines[number] = lines[number][:cut]
    source.write_text("\n".join(lines))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["CODER_MODEL"] = str(qwen_model)
    result = subprocess.run([_coder_script(), "complete", f"jinja2/idtracking.py:{number + 1}:{cut + 1}"],
                            cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.stdout.strip(), "no suggestion"


def test_the_fronts_run_nothing_from_the_repository(hostile_repo, qwen_model):
    """The language server through a real client, the review, the commit hook through a
    real `git commit`, and the terminal app in a real terminal, all inside the
    hostile repository."""
    import time

    from tests.lsp.raw_client import RawClient
    from tests.support.tmux_session import TmuxSession, terminal_env

    repo, markers = hostile_repo
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(CODER_MODEL=str(qwen_model), CODER_CHAT_MODEL=str(qwen_model), CODER_COMPLETION_PROMPT_TOKENS="384")

    client = RawClient([_coder_script(), "lsp"], env=env, cwd=repo)
    try:
        uri = (repo / "app.py").as_uri()
        initialized = client.call("initialize", {"processId": os.getpid(), "rootUri": repo.as_uri(),
                                                 "capabilities": {}}, timeout=120)
        assert "result" in initialized, initialized
        client.notify("initialized", {})
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": (repo / "app.py").read_text()}})
        deadline = time.monotonic() + 300
        while not client.call("coder/status", {})["result"]["ready"]:
            assert time.monotonic() < deadline, "the server never loaded the model"
            time.sleep(0.2)
        answer = client.call("textDocument/completion", {"textDocument": {"uri": uri},
                                                         "position": {"line": 12, "character": 14}}, timeout=300)
        assert "result" in answer, answer
        client.call("shutdown", None)
        client.notify("exit", None)
        assert client.process.wait(timeout=60) == 0
    finally:
        if client.process.poll() is None:
            client.process.kill()
    assert not list(markers.iterdir()), sorted(p.name for p in markers.iterdir())

    (repo / "app.py").write_text(APP.replace("return np.", "return np.sum(values)"))
    subprocess.run(["git", "add", "app.py"], cwd=repo, check=True)
    review = _run([_coder_script(), "review", "--format", "json"], repo, qwen_model)
    assert review.returncode in (0, 1), review.stderr[-2000:]  # 1: findings at the blocking severity
    assert "Traceback" not in review.stderr
    assert _run([_coder_script(), "hook", "install"], repo, qwen_model).returncode == 0
    commit = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "sum"],
                            cwd=repo, env={**env, "CODER_REVIEW_TIME_BUDGET": "120"},
                            capture_output=True, text=True, timeout=600)
    assert "Traceback" not in commit.stderr, commit.stderr[-2000:]
    assert not list(markers.iterdir()), sorted(p.name for p in markers.iterdir())

    tui = TmuxSession([_coder_script(), "tui", "."], cwd=repo, env=terminal_env(CODER_MODEL=str(qwen_model)))
    try:
        tui.wait_for(lambda s: "app.py" in s, timeout_s=120, what="the file tree")
        tui.keys("C-q")
        tui.wait_for(lambda s: "CODER-EXITED 0" in s, timeout_s=60, what="coder tui to quit")
    finally:
        tui.close()
    assert not list(markers.iterdir()), sorted(p.name for p in markers.iterdir())
