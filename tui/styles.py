"""Widgets keep their styles in a ``.tcss`` file beside their module (Textual reads
``CSS_PATH`` for apps and screens only, so a widget loads its file as DEFAULT_CSS)."""

from __future__ import annotations

from pathlib import Path


def css_beside(module_file: str) -> str:
    return Path(module_file).with_suffix(".tcss").read_text(encoding="utf-8")
