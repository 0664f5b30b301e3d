"""The ranked repository map, on small real repositories written to temporary directories."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coder.cli.main import main
from coder.context.repo_map import build_repo_map, estimate_tokens
from coder.context.repo_rank import pagerank, rank_files, reference_graph
from coder.index.repo_index import RepoIndex

FILES = {
    # The core: a class and a function that every other module uses.
    "core/models.py": (
        "def _cache_key(record):\n    return record.name\n\n\n"
        "class Record:\n"
        "    def __init__(self, name):\n        self.name = name\n\n"
        "    def save(self):\n        return _cache_key(self) + _cache_key(self)\n\n"
        "    def _touch(self):\n        pass\n\n\n"
        "def make_record(name):\n    return Record(name)\n"
    ),
    # A method called everywhere on a class nobody names: its header must still show.
    "core/registry.py": "class Registry:\n    def register_handler(self, handler):\n        self.handlers.append(handler)\n",
    "app/orders.py": (
        "from core.models import Record, make_record\n\n"
        "def place_order(registry):\n    registry.register_handler(print)\n    return make_record('order').save()\n"
    ),
    "app/users.py": (
        "from core.models import make_record\nfrom util.strings import slugify\n\n"
        "def add_user(registry, name):\n    registry.register_handler(print)\n"
        "    return make_record(slugify(name)).save()\n"
    ),
    "app/billing.py": (
        "from core.models import make_record\n\n"
        "def charge(registry):\n    registry.register_handler(print)\n    make_record('bill').save()\n"
    ),
    "app/admin.py": "from core.models import Record\n\ndef audit(record):\n    return isinstance(record, Record)\n",
    "util/strings.py": "def slugify(text):\n    return text.lower()\n",
    # A corner nobody else uses: its helper only matters when the map is about it.
    "leaf/report.py": "from leaf.layout import format_table\n\ndef print_report(rows):\n    return format_table(rows)\n",
    "leaf/layout.py": "def format_table(rows):\n    return str(rows)\n",
    "web/api.js": (
        "export class ApiClient {\n  request(path) {\n    return fetch(path);\n  }\n}\n\n"
        "export function fetchRecords(client) {\n  return client.request('/records');\n}\n"
    ),
    "web/app.js": "import { fetchRecords, ApiClient } from './api.js';\n\nfetchRecords(new ApiClient());\n",
    "web/view.js": "import { fetchRecords } from './api.js';\n\nfunction show(client) {\n  return fetchRecords(client);\n}\n",
}


def write_repo(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture
def index(tmp_path):
    root = write_repo(tmp_path / "repo", FILES)
    repo_index = RepoIndex(root, tmp_path / "cache.sqlite3")
    repo_index.refresh()
    yield repo_index
    repo_index.close()


def lines_of(repo_map) -> list[str]:
    return repo_map.text.splitlines()


def block_of(lines: list[str], path: str) -> list[str]:
    """The indented lines under a path."""
    after = lines[lines.index(f"{path}:") + 1 :]
    return after[: next((i for i, line in enumerate(after) if not line.startswith(" ")), len(after))]


def test_the_module_everyone_uses_comes_first(index):
    repo_map = build_repo_map(index, budget_tokens=4000)
    assert repo_map.files[0] == "core/models.py"
    assert repo_map.files.index("web/api.js") < repo_map.files.index("web/view.js")
    best = [d.tag.name for d in repo_map.definitions[:3]]
    assert "make_record" in best
    scores = [d.score for d in repo_map.definitions]
    assert scores == sorted(scores, reverse=True)
    assert repo_map.tokens == estimate_tokens(repo_map.text)


def test_private_and_own_file_names_rank_below_the_public_api(index):
    ranked = {d.tag.name: d.score for d in build_repo_map(index, budget_tokens=4000).definitions}
    # `_cache_key` is used twice, but only inside its own file.
    assert ranked["make_record"] > ranked["save"] > ranked["_cache_key"]
    assert ranked["Record"] > ranked["_touch"]


def test_rendering_puts_methods_under_their_class(index):
    lines = lines_of(build_repo_map(index, budget_tokens=4000))
    block = block_of(lines, "core/models.py")
    assert block[0] == "    def _cache_key(record):"
    assert "    class Record:" in block
    record = block.index("    class Record:")
    assert block[record + 1 : record + 3] == ["        def __init__(self, name):", "        self.name = name"]
    assert "        def save(self):" in block
    assert "    def make_record(name):" in block
    assert "    class ApiClient" in lines and "        request(path)" in lines


def test_a_chosen_method_brings_its_class_header(index):
    for budget in range(1, 120):
        repo_map = build_repo_map(index, budget_tokens=budget)
        lines = lines_of(repo_map)
        if "        def register_handler(self, handler):" in lines:
            at = lines.index("        def register_handler(self, handler):")
            assert lines[at - 2 : at] == ["core/registry.py:", "    class Registry:"]
            assert "Registry" not in [d.tag.name for d in repo_map.definitions]  # shown only as the header
            return
    pytest.fail("register_handler never made the map")


def test_focus_pulls_its_neighbours_up(index):
    plain = build_repo_map(index, budget_tokens=4000).files
    focused = build_repo_map(index, budget_tokens=4000, focus_paths=["leaf/report.py"]).files
    assert focused.index("leaf/layout.py") < plain.index("leaf/layout.py")
    assert focused.index("leaf/layout.py") < focused.index("util/strings.py")
    tight = build_repo_map(index, budget_tokens=40, focus_paths=["leaf/report.py"])
    assert "leaf/layout.py" in tight.files and "leaf/layout.py" not in build_repo_map(index, budget_tokens=40).files


def test_focus_names_boost_their_definitions(index):
    plain = [d.tag.name for d in build_repo_map(index, budget_tokens=4000).definitions]
    boosted = [d.tag.name for d in build_repo_map(index, budget_tokens=4000, focus_names=["slugify"]).definitions]
    assert boosted.index("slugify") < plain.index("slugify")


def test_the_budget_is_never_exceeded(index):
    def words(text: str) -> int:  # a tokenizer unlike the default estimate
        return len(text.split()) + text.count("(")

    previous = -1
    for budget in range(0, 600, 3):
        for count_tokens in (None, words, len):
            repo_map = build_repo_map(index, budget_tokens=budget, count_tokens=count_tokens)
            measure = count_tokens or estimate_tokens
            assert repo_map.tokens == measure(repo_map.text) <= budget
            assert len(repo_map.files) == sum(1 for line in lines_of(repo_map) if not line.startswith(" "))
        kept = len(build_repo_map(index, budget_tokens=budget).definitions)
        assert kept >= previous  # a bigger budget never shows less
        previous = kept
    everything = build_repo_map(index, budget_tokens=100_000)
    assert len(everything.definitions) == len(reference_graph(index).definitions)


def test_excluded_files_are_left_out(index):
    repo_map = build_repo_map(index, budget_tokens=4000, exclude_paths=["core/models.py"])
    assert "core/models.py" not in repo_map.files and "core/models.py" not in repo_map.text
    assert repo_map.files  # the rest is still there


def test_nested_functions_are_not_in_the_map(tmp_path):
    root = write_repo(tmp_path / "repo", {
        "deco.py": "def retry(func):\n    def wrapper(*args):\n        return func(*args)\n    return wrapper\n",
        "use.py": "from deco import retry\n\n@retry\ndef job():\n    wrapper()\n",
    })
    index = RepoIndex(root, tmp_path / "cache.sqlite3")
    index.refresh()
    text = build_repo_map(index, budget_tokens=1000).text
    assert "def retry(func):" in text and "wrapper" not in text


def test_go_and_rust_methods_go_under_their_type(tmp_path):
    root = write_repo(tmp_path / "repo", {
        "server.go": "package web\n\ntype Server struct {\n\tAddr string\n}\n\nfunc (s *Server) Start() error {\n\treturn nil\n}\n",
        "main.go": "package main\n\nfunc main() {\n\ts := &Server{}\n\ts.Start()\n}\n",
        "stack.rs": "pub struct Stack {\n    items: Vec<i32>,\n}\n\nimpl Stack {\n    pub fn push_item(&mut self, x: i32) {}\n}\n",
    })
    index = RepoIndex(root, tmp_path / "cache.sqlite3")
    index.refresh()
    lines = lines_of(build_repo_map(index, budget_tokens=1000))
    assert block_of(lines, "server.go") == [
        "    Server struct {", "        Addr string", "        func (s *Server) Start() error"
    ]
    assert "        pub fn push_item(&mut self, x: i32)" in lines


@pytest.mark.parametrize("files", [{}, {"README.md": "# notes\n", "data.json": '{"a": 1}\n'}])
def test_a_repository_without_definitions_gives_an_empty_map(tmp_path, files):
    root = write_repo(tmp_path / "repo", files)
    root.mkdir(exist_ok=True)
    index = RepoIndex(root, tmp_path / "cache.sqlite3")
    index.refresh()
    repo_map = build_repo_map(index, budget_tokens=1000, focus_paths=["README.md"])
    assert (repo_map.text, repo_map.tokens, repo_map.files, repo_map.definitions) == ("", 0, [], [])


def test_a_single_file_shows_its_own_outline(tmp_path):
    root = write_repo(tmp_path / "repo", {"solo.py": "class Solo:\n    def run_once(self):\n        pass\n"})
    index = RepoIndex(root, tmp_path / "cache.sqlite3")
    index.refresh()
    assert build_repo_map(index).text == "solo.py:\n    class Solo:\n        def run_once(self):\n"


def test_unsaved_buffers_change_the_map(index):
    index.update_file("util/strings.py", "def slugify(text):\n    return text\n\ndef shout(text):\n    return text.upper()\n")
    for name in ("app/orders.py", "app/billing.py"):
        index.update_file(name, index.read_text(name) + "\nshout('x')\n")
    by_file = index.reference_counts_by_file()
    assert by_file["app/orders.py"]["shout"] == 1 and by_file["leaf/report.py"] == {"format_table": 1, "rows": 1}
    assert index.reference_counts_by_file(kind="call")["app/orders.py"]["shout"] == 1
    assert [t.name for t in index.all_definitions() if t.path == "util/strings.py"] == ["slugify", "shout"]
    assert "    def shout(text):" in build_repo_map(index, budget_tokens=4000).text


def test_bulk_reads_match_the_per_file_queries(index):
    everything = index.all_definitions()
    for path in index.files():
        assert [t for t in everything if t.path == path] == index.definitions_in(path)
    by_file = index.reference_counts_by_file()
    for path in index.files():
        names = [t.name for t in index.references_in(path)]
        assert by_file.get(path, {}) == {name: names.count(name) for name in names}
    arguments = index.reference_counts_by_file(kind="name")
    assert arguments["app/users.py"] == {"print": 1, "name": 1}


def test_pagerank_follows_the_walk_and_keeps_all_rank():
    # 0 and 1 use name 0, defined by node 2; node 2 uses name 1, defined by 0 and 1.
    ranks = pagerank([[(0, 1.0)], [(0, 1.0)], [(1, 1.0)]], [[2], [0, 1]], [1 / 3] * 3)
    assert sum(ranks) == pytest.approx(1.0)
    assert ranks[2] > ranks[0] == pytest.approx(ranks[1])
    # A node linking nowhere hands its rank back through restarts.
    stranded = pagerank([[], [(0, 1.0)]], [[0]], [0.5, 0.5])
    assert sum(stranded) == pytest.approx(1.0) and stranded[0] > stranded[1]


def test_focus_share_of_restarts(index):
    graph = reference_graph(index)
    plain = rank_files(graph).files
    focused = rank_files(graph, focus_paths={"leaf/report.py"}).files
    assert sum(plain.values()) == pytest.approx(1.0) and sum(focused.values()) == pytest.approx(1.0)
    assert focused["leaf/report.py"] > 3 * plain["leaf/report.py"]
    assert focused["leaf/layout.py"] > 2 * plain["leaf/layout.py"]


# -- the command line ------------------------------------------------------------


def test_index_map_command_as_a_real_process(index):
    result = subprocess.run(
        [sys.executable, "-m", "coder", "index", str(index.root), "--map", "--tokens", "60"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("core/models.py:\n")
    assert estimate_tokens(result.stdout) <= 60
    assert result.stderr.startswith("map: ") and result.stderr.count("\n") == 1
    missing = subprocess.run(
        [sys.executable, "-m", "coder", "index", str(index.root), "--map", "--focus", "nowhere.py"],
        capture_output=True, text=True, timeout=120,
    )
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr == f"coder: --focus nowhere.py: not a file in the index of {index.root}\n"


def test_index_map_focus_from_here_or_from_the_root(index, capsys, monkeypatch):
    monkeypatch.chdir(index.root / "leaf")
    assert main(["index", str(index.root), "--map", "--focus", "report.py", "--tokens", "40"]) == 0
    from_here = capsys.readouterr().out
    assert main(["index", str(index.root), "--map", "--focus", "leaf/report.py", "--tokens", "40"]) == 0
    assert capsys.readouterr().out == from_here
    assert "leaf/layout.py:" in from_here and "leaf/report.py" not in from_here  # a prompt about it holds it whole


@pytest.mark.parametrize("arguments, message", [
    (["--map", "--tokens", "0"], "--tokens 0: give a positive number of tokens"),
    (["--map", "--stats"], "--map and --stats are separate views; give one"),
    (["--focus", "leaf/report.py"], "--tokens and --focus shape the map; add --map"),
])
def test_index_map_usage_errors_are_one_line(index, capsys, arguments, message):
    assert main(["index", str(index.root), *arguments]) == 2
    err = capsys.readouterr().err
    assert err == f"coder: {message}\n"


def test_index_without_map_still_prints_figures(index, capsys):
    assert main(["index", str(index.root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("files:      ") and "core/models.py" not in out
