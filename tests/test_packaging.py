"""An installed coder carries its data files: prompts, queries, migrations."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_prompts_and_migrations(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    wheel = next(tmp_path.glob("coder-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "coder/prompts/__init__.py" in names
    migrations = {n for n in names if n.startswith("coder/migrations/") and n.endswith(".sql")}
    assert migrations == {f"coder/migrations/{p.name}" for p in (ROOT / "coder" / "migrations").glob("*.sql")}
    queries = {n for n in names if n.startswith("coder/queries/") and n.endswith(".scm")}
    assert queries == {f"coder/queries/{p.name}" for p in (ROOT / "coder" / "queries").glob("*.scm")}
    templates = list((ROOT / "prompts").rglob("*.txt"))
    assert templates
    for template in templates:
        assert f"coder/prompts/{template.relative_to(ROOT / 'prompts').as_posix()}" in names
    assert not any(n.startswith(("tests/", "bench/")) for n in names)
