"""The core must stay importable without any front (LSP, TUI) in the process."""

import subprocess
import sys

FRONT_MODULES = ("pygls", "lsprotocol", "textual", "lsp", "tui")


def test_core_imports_no_front():
    code = (
        "import sys, pkgutil, importlib, coder\n"
        "for m in pkgutil.walk_packages(coder.__path__, 'coder.'):\n"
        "    if m.name.endswith('__main__'): continue\n"
        "    importlib.import_module(m.name)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FRONT_MODULES!r}]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"coder imported front modules: {result.stdout}"
