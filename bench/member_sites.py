"""Member-completion sites in a real package, for bench/bench_members.py.

A site is an ``X.member`` in one file of the package where the model cannot copy
the member from the file itself: ``member`` is defined (not only imported) in
another file of the package, is not defined in this file, and ``.member`` does not
occur before the cursor. The cursor sits right after the ``.``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from coder.syntax.languages import new_parser

SELF_RECEIVERS = ("self", "cls")


@dataclass(frozen=True)
class Site:
    path: str  # relative to the package root, as the index names files
    line: int  # 0-based, the line of the cursor
    column: int  # 0-based, in characters, right after the "."
    member: str  # what the file really has there
    receiver: str  # source text of X

    @property
    def on_self(self) -> bool:
        return self.receiver in SELF_RECEIVERS


def copy_package(source: Path, dest: Path) -> Path:
    """A copy of the installed package in a git repository of its own; returns the
    repository's root, which holds the package folder as a checkout would.

    The benchmark must not touch site-packages, and the index lists a repository's
    files through git (so it sees exactly what a user's checkout would show). The
    package folder sits inside the root, not at it, so that its absolute imports
    (`from git.repo import Repo`) name modules of the repository."""
    root = dest / "repo"
    shutil.copytree(source, root / source.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def typed_buffer(text: str, site: Site) -> str:
    """The file as the user has it while typing the site's line: the part of the
    line after the cursor is not written yet, every other line is there."""
    lines = text.split("\n")
    lines[site.line] = lines[site.line][: site.column]
    return "\n".join(lines)


def _attribute_nodes(tree):
    """Every ``attribute`` node, in source order (iterative: deep trees are common
    in generated tables and would overflow recursion)."""
    cursor = tree.walk()
    while True:
        if cursor.node.type == "attribute":
            yield cursor.node
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


def _defined_elsewhere(index, name: str, path: str, cache: dict) -> bool:
    if name not in cache:
        # An import of the name elsewhere does not define it: it only passes it on.
        cache[name] = {t.path for t in index.definitions(name) if t.kind != "import"}
    return bool(cache[name] - {path})


def sites_in_file(index, root: Path, path: str, cache: dict) -> list[Site]:
    text = (root / path).read_text(encoding="utf-8", errors="replace")
    source = text.encode("utf-8")
    tree = new_parser("python").parse(source)
    # Names this file defines itself (imports too): a completion of one of them can
    # be read off the file, which is not what this benchmark measures.
    own = {t.name for t in index.definitions_in(path)}
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    found = []
    for node in _attribute_nodes(tree):
        name_node = node.child_by_field_name("attribute")
        receiver = node.child_by_field_name("object")
        if name_node is None or receiver is None:
            continue
        member = name_node.text.decode("utf-8", "replace")
        # Byte offsets to characters: the package may hold non-ASCII text.
        offset = len(source[: name_node.start_byte].decode("utf-8", "replace"))
        if offset == 0 or text[offset - 1] != ".":
            continue  # `x . member` or `x.\n member`: not where a user's cursor sits after "."
        if member in own or not _defined_elsewhere(index, member, path, cache):
            continue
        if re.search(r"\.\s*" + re.escape(member) + r"\b", text[:offset]):
            continue
        line = name_node.start_point[0]
        found.append(Site(path, line, offset - line_starts[line], member, receiver.text.decode("utf-8", "replace")))
    return found


def find_sites(index, root: Path) -> list[Site]:
    """All sites of the package, by file and position (deterministic)."""
    cache: dict = {}
    sites = []
    for path in index.files():
        if path.endswith(".py"):
            sites += sites_in_file(index, root, path, cache)
    return sites


def spread(sites: list[Site], limit: int | None) -> list[Site]:
    """Every k-th site, so a short run still covers the whole package."""
    if limit is None or len(sites) <= limit:
        return sites
    step = len(sites) / limit
    return [sites[int(i * step)] for i in range(limit)]
