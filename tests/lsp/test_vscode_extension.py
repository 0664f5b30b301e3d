"""The VS Code extension builds (`npm ci && npm run compile`) and packages (`vsce
package`) into a .vsix holding the compiled client and vscode-languageclient 11.

VS Code itself cannot be downloaded here, so the extension is not run inside it."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "editors" / "vscode"


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm not installed")
def test_the_extension_builds_and_packages(tmp_path):
    work = tmp_path / "vscode"
    shutil.copytree(SOURCE, work, ignore=shutil.ignore_patterns("node_modules", "out", "*.vsix"))
    for step in (["npm", "ci", "--no-audit", "--no-fund"], ["npm", "run", "compile"],
                 ["npx", "--no-install", "vsce", "package", "--out", "coder.vsix"]):
        run = subprocess.run(step, cwd=work, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, f"{' '.join(step)}: {run.stdout[-1500:]} {run.stderr[-1500:]}"
    with zipfile.ZipFile(work / "coder.vsix") as vsix:
        names = set(vsix.namelist())
        manifest = json.loads(vsix.read("extension/package.json"))
        client = json.loads(vsix.read("extension/node_modules/vscode-languageclient/package.json"))
        compiled = vsix.read("extension/out/extension.js").decode()
    assert "extension/out/extension.js" in names
    assert not any(name.startswith("extension/src/") for name in names)
    assert manifest["main"] == "./out/extension.js"
    assert client["version"].split(".")[0] == "11"
    assert "vscode-languageclient/node" in compiled and '"lsp"' in compiled
