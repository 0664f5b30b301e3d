"""The repository's files as a tree, from the core's file listing (gitignore and the
index's excludes respected). Folders fill in when first opened, so a large repository
shows at once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tui.styles import css_beside


class FileTree(Tree[str]):
    DEFAULT_CSS = css_beside(__file__)

    @dataclass
    class FileChosen(Message):
        path: str  # repo-relative

    def __init__(self, root_name: str, **kwargs):
        super().__init__(root_name, data="", **kwargs)
        self.show_root = True
        self._folders: dict[str, list[str]] = {}
        self._files: dict[str, list[str]] = {}
        self.file_count = 0

    def show_files(self, files: list[str]) -> None:
        """Replace the tree's content with these repo-relative POSIX paths."""
        folders: dict[str, set[str]] = defaultdict(set)
        in_folder: dict[str, list[str]] = defaultdict(list)
        for path in files:
            parent, _, _ = path.rpartition("/")
            in_folder[parent].append(path)
            while parent:  # every folder above the file is listed in its own parent
                above, _, _ = parent.rpartition("/")
                folders[above].add(parent)
                parent = above
        self._folders = {folder: sorted(names) for folder, names in folders.items()}
        self._files = {folder: sorted(names) for folder, names in in_folder.items()}
        self.file_count = len(files)
        self.clear()
        self._fill(self.root, "")
        self.root.expand()

    def _fill(self, node: TreeNode[str], folder: str) -> None:
        for sub in self._folders.get(folder, ()):
            node.add(sub.rpartition("/")[2] + "/", data=sub + "/", allow_expand=True)
        for path in self._files.get(folder, ()):
            node.add_leaf(path.rpartition("/")[2], data=path)

    def reveal(self, path: str) -> None:
        """Open the folders down to a file and put the cursor on it."""
        node = self.root
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth]) + "/"
            child = next((c for c in node.children if c.data == folder), None)
            if child is None:
                return
            if not child.children:
                self._fill(child, folder.rstrip("/"))
            child.expand()
            node = child
        leaf = next((c for c in node.children if c.data == path), None)
        if leaf is not None:
            self.move_cursor(leaf)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[str]) -> None:
        node = event.node
        if node is not self.root and not node.children and (node.data or "").endswith("/"):
            self._fill(node, node.data.rstrip("/"))

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        data = event.node.data or ""
        if data and not data.endswith("/"):
            event.stop()
            self.post_message(self.FileChosen(data))
