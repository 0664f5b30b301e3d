"""A project environment for resolver tests: packages "installed" in the repository's
own ``.venv``, which the resolver reads before any other environment."""

from __future__ import annotations

from pathlib import Path

SHIPPING = {
    "shipping/__init__.py": "from .carrier import Carrier\n\n__version__ = '1.0'\n",
    "shipping/carrier.py": (
        "class Carrier:\n"
        "    def __init__(self, name):\n        self.name = name\n\n"
        "    def quote(self, weight):\n        return weight * 2\n\n"
        "    def track(self, number):\n        return number\n"
    ),
}


def install(repo: Path, files: dict[str, str] = SHIPPING) -> Path:
    """Write files under repo/.venv/lib/python3.X/site-packages (kept out of the index)."""
    site = repo / ".venv" / "lib" / "python3.11" / "site-packages"
    for name, text in files.items():
        target = site / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    ignore = repo / ".gitignore"
    existing = ignore.read_text() if ignore.exists() else ""
    ignore.write_text(existing + ".venv/\n")
    return site
