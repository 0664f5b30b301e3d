"""A small real git repository for the ask and TUI tests: a few Python files that use
each other, an ignored build folder and log, and a Markdown note."""

from __future__ import annotations

import subprocess
from pathlib import Path

FILES = {
    "shapes.py": '''"""Shapes with an area."""

import math


class Circle:
    def __init__(self, radius):
        self.radius = radius

    def area(self):
        return math.pi * self.radius ** 2


class Square:
    def __init__(self, side):
        self.side = side

    def area(self):
        return self.side * self.side
''',
    "report.py": '''"""Reports about shapes."""

from shapes import Circle, Square


def describe(shape):
    """One line naming the shape and its area."""
    return f"{type(shape).__name__} with area {shape.area():.2f}"


def largest(shapes):
    return max(shapes, key=lambda shape: shape.area())


def summary():
    shapes = [Circle(1.5), Square(2)]
    return describe(largest(shapes))
''',
    "stats.py": '''"""Small statistics helpers."""


def mean(values):
    """Return the arithmetic mean of a non-empty list of numbers."""
    total = sum(values)
    return


def variance(values):
    """Return the population variance of a non-empty list of numbers."""
    centre = mean(values)
    return sum((v - centre) ** 2 for v in values) / len(values)
''',
    "docs/notes.md": "# Notes\n\nShapes live in shapes.py; reports in report.py.\n",
    ".gitignore": "build/\n*.log\n",
    "build/generated.py": "GENERATED = True\n",
    "debug.log": "noise\n",
}


def make_sample_repo(root: Path) -> Path:
    """The sample repository at root (created), as a git work tree."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root
