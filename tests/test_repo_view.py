"""The parsed-version cache of the grounding's repository view (pure logic: a builder
that records its calls)."""

from __future__ import annotations

from dataclasses import dataclass

from coder.grounding.repo_view import PARSED_CACHE_SIZE, VERSIONS_PER_PATH, RepoView


@dataclass
class Parsed:
    text: str
    previous: "Parsed | None"


def test_only_the_last_few_versions_of_a_path_stay_parsed():
    view = RepoView(index=None)
    built = []

    def build(text, path, previous):
        built.append(text)
        return Parsed(text, previous)

    versions = [f"x = {i}\n" for i in range(VERSIONS_PER_PATH + 3)]
    for text in versions:
        view.parsed("python", "a.py", text, build)
    assert view.parsed("python", "b.py", versions[0], build).previous is None  # another path: its own history
    built.clear()
    for text in versions[-VERSIONS_PER_PATH:]:
        view.parsed("python", "a.py", text, build)
    assert built == []  # the recent versions are still there
    again = view.parsed("python", "a.py", versions[0], build)
    assert built == [versions[0]]  # an old one is parsed again, from the newest as its previous version
    assert again.previous is not None and again.previous.text == versions[-1]


def test_the_whole_cache_stays_bounded():
    view = RepoView(index=None)
    built = []

    def build(text, path, previous):
        built.append(path)
        return Parsed(text, previous)

    paths = [f"f{i}.py" for i in range(PARSED_CACHE_SIZE + 10)]
    for path in paths:
        view.parsed("python", path, "x = 1\n", build)
    built.clear()
    view.parsed("python", paths[-1], "x = 1\n", build)
    assert built == []  # the newest is kept
    view.parsed("python", paths[0], "x = 1\n", build)
    assert built == [paths[0]]  # the oldest was let go
