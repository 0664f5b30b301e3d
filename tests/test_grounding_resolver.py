"""The grounding resolver over real repositories indexed by the real RepoIndex.

Fixtures: tests/fixtures/grounding/{pyrepo,jsrepo,tsrepo}, copied to a temporary
directory per module. Each test writes a buffer with a ``<|cursor|>`` marker and
checks the member/scope set and its confidence.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coder.grounding import NameSet, grounding_for, prompt_hint, resolve_names
from coder.index.repo_index import RepoIndex

FIXTURES = Path(__file__).parent / "fixtures" / "grounding"
CURSOR = "<|cursor|>"

READER_MEMBERS = {
    "read", "readline", "open", "position", "supported", "chunk_size", "encoding",
    "stream", "count", "name", "last_line",  # own (attributes set in __init__ and readline)
    "close", "closed_flag", "_cleanup",  # inherited from pkg.base.Closable
}


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    root = tmp_path_factory.mktemp("grounding")
    built = {}
    for name in ("pyrepo", "jsrepo", "tsrepo"):
        shutil.copytree(FIXTURES / name, root / name)
        index = RepoIndex(root / name, cache_path=root / f"{name}.sqlite3")
        index.refresh()
        built[name] = index
    yield built
    for index in built.values():
        index.close()


def resolve(index, marked: str, path: str = "app.py", language: str = "python") -> NameSet:
    offset = marked.index(CURSOR)
    text = marked.replace(CURSOR, "")
    line = text.count("\n", 0, offset)
    col = offset - (text.rfind("\n", 0, offset) + 1)
    return resolve_names(index, path, text, line, col, language)


def py(indexes, marked: str, path: str = "app.py") -> NameSet:
    return resolve(indexes["pyrepo"], marked, path, "python")


def assert_high_members(names: NameSet, expected: set[str], absent: set[str] = frozenset()):
    assert names.kind == "member"
    assert names.confidence == "high", names.reason
    assert expected <= set(names.names), expected - set(names.names)
    assert not (absent & set(names.names)), absent & set(names.names)


# -- Python: modules ---------------------------------------------------------------------

UTIL_MEMBERS = {"make_reader", "make_writer", "count_lines", "DEFAULT_PATH", "Reader", "output"}


def test_import_module(indexes):
    names = py(indexes, "import pkg.util\n\npkg.util.<|cursor|>\n")
    assert_high_members(names, UTIL_MEMBERS, {"read", "Writer"})
    assert names.receiver == "pkg.util"
    assert names.receiver_label == "module pkg.util"


def test_import_module_as_alias(indexes):
    assert_high_members(py(indexes, "import pkg.util as u\nu.<|cursor|>\n"), UTIL_MEMBERS)


def test_from_import_module(indexes):
    assert_high_members(py(indexes, "from pkg import util\nutil.<|cursor|>\n"), UTIL_MEMBERS)


def test_from_import_module_alias(indexes):
    names = py(indexes, "from pkg import writer as w\nw.<|cursor|>\n")
    assert_high_members(names, {"Writer", "io"}, {"make_reader"})


def test_package_lists_its_names_and_submodules(indexes):
    names = py(indexes, "import pkg\npkg.<|cursor|>\n")
    assert_high_members(names, {"Reader", "VERSION", "util", "reader", "writer", "shapes"})


def test_relative_import_inside_the_package(indexes):
    names = py(indexes, "from .shapes import Square\nSquare(1).<|cursor|>\n", path="pkg/new.py")
    assert_high_members(names, {"area", "size", "describe"})


def test_standard_library_module_is_introspected(indexes):
    names = py(indexes, "import os\nos.path.<|cursor|>\n")
    assert_high_members(names, {"join", "dirname", "exists"})


# -- Python: classes and instances ----------------------------------------------------------


def test_class_name_lists_members_including_inherited(indexes):
    names = py(indexes, "from pkg.shapes import Cube\nCube.<|cursor|>\n")
    assert_high_members(names, {"volume", "area", "describe", "sides", "size"})
    assert names.receiver_label == "Cube"


def test_constructor_assignment(indexes):
    names = py(indexes, "from pkg.reader import Reader\nr = Reader(None)\nr.<|cursor|>\n")
    assert_high_members(names, READER_MEMBERS, {"write", "flush"})
    assert names.receiver_label == "Reader"


def test_parameter_annotation(indexes):
    names = py(indexes, "from pkg.reader import Reader\n\ndef use(r: Reader, n=1):\n    return r.<|cursor|>\n")
    assert_high_members(names, READER_MEMBERS)


@pytest.mark.parametrize("annotation", ["Reader", '"Reader"', "Optional[Reader]", "Reader | None", "pkg.reader.Reader"])
def test_variable_annotation_forms(indexes, annotation):
    text = (
        "from typing import Optional\nimport pkg.reader\nfrom pkg.reader import Reader\n\n"
        f"r: {annotation} = get_it()\nr.<|cursor|>\n"
    )
    assert_high_members(py(indexes, text), READER_MEMBERS)


def test_self_lists_attributes_set_in_any_method(indexes):
    text = (
        "class Job:\n"
        "    def __init__(self, name):\n"
        "        self.name = name\n"
        "        self.done = False\n\n"
        "    def finish(self):\n"
        "        self.result = 42\n\n"
        "    def report(self):\n"
        "        return self.<|cursor|>\n"
    )
    names = py(indexes, text, path="job.py")
    assert_high_members(names, {"name", "done", "result", "finish", "report"})
    assert not names.assignable  # `return self.` cannot create an attribute


@pytest.mark.parametrize("line", ["self.", "self.a, self.", "(self.a, _, self.", "x, self."])
def test_self_at_statement_start_or_in_a_tuple_target_is_assignable(indexes, line):
    text = f"class Job:\n    def __init__(self):\n        self.a = 1\n        {line}<|cursor|>\n"
    names = py(indexes, text, path="job.py")
    assert_high_members(names, {"a"})
    assert names.assignable


def test_self_inside_an_expression_is_not_assignable(indexes):
    text = "class Job:\n    def __init__(self):\n        self.a = 1\n        f(x, self.<|cursor|>\n"
    assert not py(indexes, text, path="job.py").assignable


def test_cls_in_classmethod(indexes):
    text = (
        "class Registry:\n"
        "    entries = {}\n\n"
        "    @classmethod\n"
        "    def add(cls, key):\n"
        "        cls.<|cursor|>\n"
    )
    assert_high_members(py(indexes, text, path="registry.py"), {"entries", "add"})


def test_attributes_set_in_init_of_repo_class(indexes):
    names = py(indexes, "from pkg.writer import Writer\nw = Writer(None)\nw.<|cursor|>\n")
    assert_high_members(names, {"sink", "pending", "write", "flush"})


def test_inherited_members_through_two_levels(indexes):
    names = py(indexes, "from pkg.shapes import Cube\nc = Cube(2)\nc.<|cursor|>\n")
    assert_high_members(names, {"volume", "area", "size", "describe", "sides"})


def test_builtin_base_class_members(indexes):
    names = py(indexes, "from pkg.shapes import Error\ntry:\n    pass\nexcept Error as e:\n    e.<|cursor|>\n")
    assert_high_members(names, {"hint", "args", "with_traceback"})


def test_return_annotation_is_followed(indexes):
    names = py(indexes, "from pkg import util\nutil.make_reader().<|cursor|>\n")
    assert_high_members(names, READER_MEMBERS)


def test_classmethod_returning_string_annotation(indexes):
    names = py(indexes, "from pkg.reader import Reader\nReader.open('x').<|cursor|>\n")
    assert_high_members(names, READER_MEMBERS)


def test_property_type_is_followed(indexes):
    names = py(indexes, "from pkg.reader import Reader\nReader(None).position.<|cursor|>\n")
    assert_high_members(names, {"bit_length", "to_bytes"})


def test_partial_prefix_filters(indexes):
    names = py(indexes, "from pkg.reader import Reader\nr = Reader(None)\nr.rea<|cursor|>\n")
    assert names.partial == "rea"
    assert set(names.names) == {"read", "readline"}
    assert names.confidence == "high"


def test_literal_receivers(indexes):
    assert_high_members(py(indexes, "x = 'abc'\nx.<|cursor|>\n"), {"upper", "join", "split"})
    assert_high_members(py(indexes, "x = {}\nx.<|cursor|>\n"), {"items", "get"})


def test_latest_binding_before_the_cursor_wins(indexes):
    text = "from pkg.reader import Reader\nfrom pkg.writer import Writer\nx = Reader(None)\nx = Writer(None)\nx.<|cursor|>\n"
    names = py(indexes, text)
    assert_high_members(names, {"write", "flush"}, {"readline"})


# -- Python: unknown cases -> low confidence ------------------------------------------------


@pytest.mark.parametrize(
    "text, reason_word",
    [
        ("from pkg.external import Session\nSession().<|cursor|>\n", "base"),
        ("from pkg.external import Dynamic\nDynamic({}).<|cursor|>\n", "__getattr__"),
        ("from pkg.external import Configured\nConfigured().<|cursor|>\n", "dynamic"),
        ("from somelib import *\nthing.<|cursor|>\n", "import *"),
        ("import notinstalled_http\nnotinstalled_http.<|cursor|>\n", "not installed"),
        ("undefined_thing.<|cursor|>\n", "not defined"),
        ("def f(x):\n    x.<|cursor|>\n", "annotation"),
    ],
    ids=["installed-base", "getattr", "setattr", "star-import", "third-party", "unresolved", "unannotated"],
)
def test_unknown_receivers_are_low_confidence(indexes, text, reason_word):
    names = py(indexes, text)
    assert names.kind == "member"
    assert names.confidence == "low"
    assert reason_word in names.reason


def test_a_lazy_getattr_that_only_defers_keeps_the_listing(indexes):
    # gitdb's LazyMixin: the hook sets the attribute, then reads it the ordinary way.
    names = py(indexes, "from pkg.hooks import Blob\nBlob().<|cursor|>\n")
    assert_high_members(names, {"size", "data", "checksum", "_set_cache_"})


def test_a_getattr_serves_instances_not_the_class(indexes):
    # Command's metaclass only watches lookups; its __getattr__ invents commands.
    assert_high_members(py(indexes, "from pkg.hooks import Command\nCommand.<|cursor|>\n"), {"check"})
    names = py(indexes, "from pkg.hooks import Command\nCommand().<|cursor|>\n")
    assert names.confidence == "low" and "__getattr__" in names.reason


def test_setattr_on_self_leaves_the_class_object_known(indexes):
    assert_high_members(py(indexes, "from pkg.external import Configured\nConfigured.<|cursor|>\n"), {"known"})


def test_a_metaclass_that_shapes_the_class_is_low(indexes):
    names = py(indexes, "from pkg.hooks import Registered\nRegistered().<|cursor|>\n")
    assert names.confidence == "low" and "metaclass" in names.reason


def test_reading_dict_is_not_writing_it(indexes):
    assert_high_members(py(indexes, "from pkg.hooks import Snapshot\nSnapshot().<|cursor|>\n"), {"values", "copy"})
    names = py(indexes, "from pkg.hooks import Loaded\nLoaded().<|cursor|>\n")
    assert names.confidence == "low" and "dynamic" in names.reason


def test_cast_gives_its_type(indexes):
    text = "from typing import cast\nfrom pkg.reader import Reader\nr = cast('Reader', make())\nr.<|cursor|>\n"
    assert_high_members(py(indexes, text), READER_MEMBERS)
    text = "import typing\nfrom pkg.reader import Reader\ntyping.cast(Reader, make()).<|cursor|>\n"
    assert_high_members(py(indexes, text), READER_MEMBERS)


@pytest.mark.parametrize(
    "manager, expected",
    [
        ("Session()", {"send"}),  # __enter__ returns self
        ("Transaction()", {"send"}),  # __enter__ is annotated
        ("open(path)", {"readline", "encoding"}),  # text file
        ("open(path, 'rb')", {"read", "peek"}),  # binary reader
        ("open(path, mode='wb')", {"write", "flush"}),
        ("subprocess.Popen(args)", {"communicate", "stdout"}),  # a stdlib __enter__ read from source
    ],
    ids=["returns-self", "annotated", "open-text", "open-binary", "open-mode-keyword", "popen"],
)
def test_with_binds_what_enter_gives(indexes, manager, expected):
    text = f"import subprocess\nfrom pkg.hooks import Session, Transaction\nwith {manager} as thing:\n    thing.<|cursor|>\n"
    assert_high_members(py(indexes, text), expected)


def test_with_an_unknown_enter_is_low(indexes):
    names = py(indexes, "from pkg.hooks import Pool\nwith Pool() as thing:\n    thing.<|cursor|>\n")
    assert names.confidence == "low" and "with" in names.reason
    names = py(indexes, "with open(path, mode) as thing:\n    thing.<|cursor|>\n")
    assert names.confidence == "low"


@pytest.mark.parametrize(
    "annotation, expected",
    [
        ("List[str]", {"append", "index"}),
        ("list[int]", {"append", "sort"}),
        ("Dict[str, int]", {"items", "setdefault"}),
        ("Box[int]", {"unwrap", "item"}),
    ],
    ids=["typing-alias", "builtin", "two-parameters", "repo-generic"],
)
def test_a_generic_annotation_is_an_instance_of_its_class(indexes, annotation, expected):
    text = ("import typing\nfrom typing import IO, Dict, List\nfrom pkg.hooks import Box\n\n"
            f"def use(value: {annotation}):\n    value.<|cursor|>\n")
    assert_high_members(py(indexes, text), expected)


@pytest.mark.parametrize(
    "annotation",
    # An abstract one too: real code calls `.append` on a `Sequence[str]` it set to [].
    ["Union[int, Unheard]", "Type[Reader]", "Literal['a']", "typing.Sequence[int]", "IO[bytes]", "Any", "Optional[Any]"],
)
def test_special_forms_and_abstract_classes_stay_low(indexes, annotation):
    text = ("import typing\nfrom typing import IO, Any, Literal, Optional, Type, Union\nfrom pkg.reader import Reader\n\n"
            f"def use(value: {annotation}):\n    value.<|cursor|>\n")
    assert py(indexes, text).confidence == "low"


def test_star_import_makes_scope_low(indexes):
    names = py(indexes, "from somelib import *\nvalue = fo<|cursor|>\n")
    assert names.kind == "scope" and names.confidence == "low"


def test_inside_string_or_definition_name_is_free(indexes):
    assert py(indexes, "x = 'reader.<|cursor|>'\n").names == []
    names = py(indexes, "def new_fu<|cursor|>\n")
    assert names.confidence == "low" and names.names == []


# -- Python: bare identifiers -------------------------------------------------------------


def test_bare_identifier_scope(indexes):
    text = (
        "import json\nfrom pkg.reader import Reader\n\nLIMIT = 3\n\n"
        "def other():\n    hidden = 1\n\n"
        "def work(a, b=2, *rest, **options):\n"
        "    local = a + b\n"
        "    for item in rest:\n"
        "        pass\n"
        "    return compute(<|cursor|>)\n"
    )
    names = py(indexes, text)
    assert names.kind == "scope" and names.confidence == "high", names.reason
    expected = {"a", "b", "rest", "options", "local", "item", "json", "Reader", "LIMIT", "other", "work", "print", "len"}
    assert expected <= set(names.names)
    assert "hidden" not in names.names
    assert "return" in names.keywords
    # Locals outrank builtins.
    assert names.names.index("local") < names.names.index("print")


def test_statement_start_is_low_confidence(indexes):
    names = py(indexes, "def f(value):\n    val<|cursor|>\n")
    assert names.confidence == "low"
    assert "value" in names.names


def test_class_body_names_do_not_leak_into_methods(indexes):
    text = "class A:\n    size = 1\n    def m(self):\n        return f(<|cursor|>)\n"
    names = py(indexes, text, path="a.py")
    assert "size" not in names.names and "self" in names.names


# -- ranking, hint, cache -----------------------------------------------------------------


def test_recent_use_ranks_first(indexes):
    text = (
        "from pkg.reader import Reader\n"
        "r = Reader(None)\n"
        "r.readline()\nr.readline()\n"
        "r.<|cursor|>\n"
    )
    names = py(indexes, text)
    assert names.names[0] == "readline"
    assert names.names.index("_cleanup") > names.names.index("close")  # private last
    assert names.names.index("__init__") > names.names.index("_cleanup")  # dunders after


def test_prompt_hint_is_one_short_comment(indexes):
    names = py(indexes, "from pkg.reader import Reader\nr = Reader(None)\nr.<|cursor|>\n")
    hint = prompt_hint(names, "python", top_k=4)
    assert hint.startswith("# Reader members: ")
    assert "\n" not in hint and len(hint) <= 160
    assert "read(n)" in hint or "readline()" in hint
    js_hint = prompt_hint(names, "javascript", top_k=2)
    assert js_hint.startswith("// Reader members: ") and js_hint.count(",") == 1


def test_unsaved_buffer_of_another_file_is_seen(indexes, tmp_path):
    index = indexes["pyrepo"]
    text = "from pkg.writer import Writer\nWriter(None).<|cursor|>\n"
    assert "peek" not in py(indexes, text).names
    original = index.read_text("pkg/writer.py")
    index.update_file("pkg/writer.py", original + "\n    def peek(self):\n        return self.pending\n")
    try:
        grounding_for(index).forget("pkg/writer.py")  # what an editor integration calls
        assert "peek" in py(indexes, text).names
    finally:
        index.update_file("pkg/writer.py")
        grounding_for(index).forget()
    assert "peek" not in py(indexes, text).names


def test_another_file_change_is_seen_within_a_second(indexes):
    import time

    index = indexes["pyrepo"]
    text = "from pkg.writer import Writer\nWriter(None).<|cursor|>\n"
    assert "poke" not in py(indexes, text).names
    original = index.read_text("pkg/writer.py")
    index.update_file("pkg/writer.py", original + "\n    def poke(self):\n        pass\n")
    try:
        time.sleep(1.1)
        assert "poke" in py(indexes, text).names
    finally:
        index.update_file("pkg/writer.py")
        grounding_for(index).forget()


def test_absolute_path_is_accepted(indexes):
    index = indexes["pyrepo"]
    names = resolve_names(index, str(index.root / "app.py"), "import pkg\npkg.", 1, 4, "python")
    assert "util" in names.names


# -- JavaScript / TypeScript --------------------------------------------------------------


def js(indexes, marked: str, path: str = "src/app.js", language: str = "javascript") -> NameSet:
    return resolve(indexes["jsrepo"], marked, path, language)


def ts(indexes, marked: str, path: str = "src/app.ts", language: str = "typescript") -> NameSet:
    return resolve(indexes["tsrepo"], marked, path, language)


def test_js_new_assignment_from_relative_import(indexes):
    names = js(indexes, "import { User } from './models/user.js';\nconst u = new User(1, 'a');\nu.<|cursor|>")
    assert_high_members(names, {"greet", "addFriend", "displayName", "role", "#secret", "name", "friends",
                                "save", "id", "createdAt"}, {"find"})


def test_js_default_import_class_statics(indexes):
    names = js(indexes, "import User from './models/user.js';\nUser.<|cursor|>")
    assert_high_members(names, {"find", "prototype"}, {"greet"})


def test_js_namespace_import(indexes):
    names = js(indexes, "import * as util from './util.js';\nutil.<|cursor|>")
    assert_high_members(names, {"formatName", "parseId", "MAX_USERS"})


def test_js_reexports_through_index(indexes):
    names = js(indexes, "import { BaseModel } from './models/index.js';\nnew BaseModel(1).<|cursor|>")
    assert_high_members(names, {"save", "id"}, {"greet"})
    names = js(indexes, "import * as models from './models';\nmodels.<|cursor|>")
    assert_high_members(names, {"User", "BaseModel"})


def test_js_commonjs_require(indexes):
    names = js(indexes, "const legacy = require('./legacy');\nlegacy.<|cursor|>")
    assert_high_members(names, {"slugify", "truncate"})


def test_js_this_inside_class_through_arrow(indexes):
    text = "class A {\n  constructor() { this.v = 1; }\n  m() {\n    return () => this.<|cursor|>\n  }\n}\n"
    names = js(indexes, text)
    assert_high_members(names, {"v", "m"})


def test_js_this_in_plain_function_is_low(indexes):
    names = js(indexes, "function f() {\n  return this.<|cursor|>\n}\n")
    assert names.confidence == "low"


@pytest.mark.parametrize(
    "text",
    [
        "import React from 'react';\nReact.<|cursor|>",
        "import { Registry } from './dynamic.js';\nnew Registry().<|cursor|>",
        "import { Bag } from './dynamic.js';\nnew Bag({}).<|cursor|>",
    ],
    ids=["package", "unknown-base", "object-assign-this"],
)
def test_js_unknown_cases_are_low(indexes, text):
    assert js(indexes, text).confidence == "low"


def test_js_bare_identifier_scope(indexes):
    text = "import { formatName } from './util.js';\nconst TOP = 1;\nfunction go(a, { b }) {\n  const c = 1;\n  return go2(<|cursor|>);\n}\n"
    names = js(indexes, text)
    assert names.kind == "scope" and names.confidence == "high"
    assert {"formatName", "TOP", "go", "a", "b", "c", "console", "JSON"} <= set(names.names)
    assert "const" in names.keywords


def test_ts_parameter_annotation_and_parameter_properties(indexes):
    names = ts(indexes, "import { UserService } from './service';\nfunction f(s: UserService) {\n  s.<|cursor|>\n}\n")
    assert_high_members(names, {"create", "count", "logger", "repo"}, {"instance"})


def test_ts_interface_with_extends_and_nullable_union(indexes):
    names = ts(indexes, "import { AuditLogger } from './service';\nlet a: AuditLogger | null = null;\na.<|cursor|>")
    assert_high_members(names, {"audit", "info", "warn", "level"})


def test_ts_member_chain_through_interface(indexes):
    names = ts(indexes, "import { UserService } from './service';\nfunction f(s: UserService) {\n  s.logger.<|cursor|>\n}\n")
    assert_high_members(names, {"info", "warn", "level"}, {"audit"})


def test_ts_return_type(indexes):
    names = ts(indexes, "import { makeService } from './service';\nmakeService().<|cursor|>")
    assert_high_members(names, {"create", "logger"})


def test_tsx_uses_the_typescript_resolver(indexes):
    names = ts(indexes, "import { UserService } from './service';\nUserService.<|cursor|>", path="src/app.tsx", language="tsx")
    assert_high_members(names, {"instance"}, {"create"})


def test_other_languages_are_low_confidence(indexes):
    names = resolve(indexes["pyrepo"], "fn main() {\n    v.<|cursor|>\n}\n", path="main.rs", language="rust")
    assert names.kind == "member" and names.confidence == "low" and names.names == []


# -- standard library loading, robustness -------------------------------------------------


def test_standard_module_not_yet_imported_loads_in_the_background(indexes):
    import time

    from coder.grounding.python_runtime import is_loading

    text = "import colorsys\ncolorsys.<|cursor|>\n"
    first = py(indexes, text)
    if first.confidence == "low":
        assert "loading" in first.reason
    deadline = time.monotonic() + 10
    while is_loading("colorsys") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert_high_members(py(indexes, text), {"rgb_to_hsv", "hsv_to_rgb"})


@pytest.mark.parametrize("repo, language, suffix", [
    ("pyrepo", "python", ".py"), ("jsrepo", "javascript", ".js"), ("tsrepo", "typescript", ".ts"),
])
def test_every_position_of_the_fixtures_resolves_without_error(indexes, repo, language, suffix):
    """Cursor at every 7th character of each file, with the line cut at the cursor as
    while typing: no exception, and a well-formed NameSet."""
    index = indexes[repo]
    for path in [p for p in index.files() if p.endswith(suffix)]:
        text = index.read_text(path)
        lines = text.split("\n")
        for line_number, line in enumerate(lines):
            for col in range(0, len(line) + 1, 7):
                typed = "\n".join(lines[:line_number] + [line[:col]] + lines[line_number + 1:])
                names = resolve_names(index, path, typed, line_number, col, language)
                assert names.confidence in ("high", "low") and names.kind in ("member", "scope")
                assert all(name.startswith(names.partial) for name in names.names)


def test_js_this_at_statement_start_is_assignable_and_private_partial(indexes):
    text = "class A {\n  #count = 0;\n  inc() {\n    this.#co<|cursor|>\n  }\n}\n"
    names = js(indexes, text)
    assert names.confidence == "high" and names.assignable
    assert names.partial == "#co" and names.names == ["#count"]


def test_without_a_repository_index():
    names = resolve_names(None, "/tmp/loose.py", "import os\nx = 'a'\nx.", 2, 2, "python")
    assert_high_members(names, {"upper"})
    names = resolve_names(None, "/tmp/loose.py", "from mylib import thing\nthing.", 1, 6, "python")
    assert names.confidence == "low"


def test_a_known_name_inside_a_string_is_not_resolved(indexes):
    names = py(indexes, "from pkg.reader import Reader\nr = Reader(None)\nx = f'value r.<|cursor|>'\n")
    assert names.names == [] and names.confidence == "low"
    names = js(indexes, "import * as util from './util.js';\nconst s = 'util.<|cursor|>';\n")
    assert names.names == [] and names.confidence == "low"


def resolve_in(folder: Path, files: dict[str, str], *cursors: tuple[str, str]) -> list[NameSet]:
    """Write a small repository, index it, and resolve (path, marked text) cursors."""
    for name, text in files.items():
        (folder / name).write_text(text)
    index = RepoIndex(folder)
    index.refresh()
    try:
        return [resolve(index, marked, path=path) for path, marked in cursors]
    finally:
        index.close()


def test_what_a_method_body_defines_is_not_a_member_of_the_class(tmp_path):
    method = "class A:\n    def m(self):\n        import ctypes\n        def helper(x):\n            return x\n        self.kept = helper\n"
    [names] = resolve_in(tmp_path, {"a.py": method}, ("b.py", "from a import A\nA().<|cursor|>\n"))
    assert names.confidence == "high"
    assert {"m", "kept"} <= set(names.names)
    assert not {"ctypes", "helper"} & set(names.names)


@pytest.mark.parametrize("test, added", [
    ("isinstance(self, Named)", {"ident", "rename"}),
    ("hasattr(self, 'ident')", {"ident"}),
    ("isinstance( self ,(Named, int))", {"ident", "bit_length"}),
])
def test_a_type_test_adds_the_tested_members(tmp_path, test, added):
    # After `isinstance(x, Sub)` x may be a Sub as well as its declared type.
    source = (
        "class Named:\n    ident = 1\n    def rename(self):\n        pass\n\n\n"
        "class Walker:\n    def walk(self):\n        return 1\n\n"
        f"    def key(self):\n        if {test}:\n            return self.<|cursor|>\n"
    )
    narrowed, plain = resolve_in(tmp_path, {}, ("a.py", source), ("a.py", source.replace(test, "True")))
    assert narrowed.confidence == "high", narrowed.reason
    assert {"walk"} | added <= set(narrowed.names)
    assert plain.confidence == "high" and "walk" in plain.names and not added & set(plain.names)


@pytest.mark.parametrize("test", ["type(self) is Named", "isinstance(self, Unheard)", "hasattr(self, name)"])
def test_a_type_test_that_cannot_be_read_is_low(tmp_path, test):
    source = (
        "class Named:\n    ident = 1\n\n\nclass Walker:\n    def walk(self):\n        return 1\n\n"
        f"    def key(self, name):\n        if {test}:\n            return self.<|cursor|>\n"
    )
    [names] = resolve_in(tmp_path, {}, ("a.py", source))
    assert names.confidence == "low" and "narrowed" in names.reason


@pytest.mark.parametrize("base, construct, expected", [
    ("NamedTuple", "Seg('x')", {"text", "_asdict", "_replace", "count", "split"}),
    ("List[T]", "Seg()", {"append", "pop", "split"}),
    ("TypedDict", "Seg(text='x')", {"get", "keys", "items"}),
    ("Generic[T]", "Seg()", {"split"}),
])
def test_typing_constructs_as_bases_are_known(tmp_path, base, construct, expected):
    source = (
        "from typing import Generic, List, NamedTuple, TypedDict, TypeVar\nT = TypeVar('T')\n\n\n"
        f"class Seg({base}):\n    text: str = ''\n\n    def split(self):\n        return self\n"
    )
    [names] = resolve_in(tmp_path, {"a.py": source}, ("b.py", f"from a import Seg\nvalue = {construct}\nvalue.<|cursor|>\n"))
    assert names.confidence == "high", names.reason
    assert expected <= set(names.names)


def test_classes_and_modules_of_installed_packages_are_read_from_the_project_environment(tmp_path):
    from tests.support.installed_packages import install

    install(tmp_path)
    (tmp_path / "app.py").write_text(
        "import shipping\nfrom shipping import Carrier\n\n\nclass Express(Carrier):\n    def rush(self):\n        return 1\n"
    )
    index = RepoIndex(tmp_path)
    index.refresh()
    try:
        assert not [f for f in index.files() if ".venv" in f]  # read on demand, never indexed
        module = resolve(index, "import shipping\nshipping.<|cursor|>\n")
        member = resolve(index, "from app import Express\nExpress('x').<|cursor|>\n", path="use.py")
    finally:
        index.close()
    assert module.confidence == "high" and {"Carrier", "carrier"} <= set(module.names)
    assert member.confidence == "high"
    assert {"rush", "quote", "track", "name"} <= set(member.names)


def test_a_conditional_expression_is_either_side(indexes):
    agree = py(indexes, "from pkg.reader import Reader\nx = Reader(None) if flag else Reader(None)\nx.<|cursor|>\n")
    assert_high_members(agree, {"read", "readline"})
    differ = py(indexes, "from pkg.reader import Reader\nfrom pkg.writer import Writer\nx = Reader(None) if flag else Writer(None)\nx.<|cursor|>\n")
    assert_high_members(differ, {"readline", "flush"})
    maybe = py(indexes, "from pkg.reader import Reader\nx = Reader(None) if flag else None\nx.<|cursor|>\n")
    assert_high_members(maybe, {"readline"}, {"flush"})
    unknown = py(indexes, "from pkg.reader import Reader\nx = Reader(None) if flag else make()\nx.<|cursor|>\n")
    assert unknown.confidence == "low"


def test_an_or_expression_is_either_side(indexes):
    text = "from pkg.reader import Reader\nfrom pkg.writer import Writer\n\ndef use(r: Reader = None):\n    x = r or Writer(None)\n    x.<|cursor|>\n"
    assert_high_members(py(indexes, text), {"readline", "flush"})
    assert py(indexes, "from pkg.reader import Reader\nx = Reader(None) or make()\nx.<|cursor|>\n").confidence == "low"
    assert py(indexes, "from pkg.reader import Reader\nx = Reader(None) and Reader(None)\nx.<|cursor|>\n").confidence == "low"


# -- Python: unions, aliases, containers ------------------------------------------------

WRITER_MEMBERS = {"write", "flush", "sink", "pending"}
CATALOG_HEADER = "from typing import Dict, List, Sequence, Tuple, Union\nfrom pkg.catalog import AnyStream, Catalog, Streams\nfrom pkg.reader import Reader\nfrom pkg.writer import Writer\n\n"


@pytest.mark.parametrize("annotation", ["Union[Reader, Writer]", "Reader | Writer", "Reader | Writer | None", "AnyStream", "'Union[Reader, Writer]'"])
def test_a_union_has_the_members_of_each_option(indexes, annotation):
    names = py(indexes, CATALOG_HEADER + f"def use(value: {annotation}):\n    value.<|cursor|>\n")
    assert_high_members(names, {"readline", "position"} | WRITER_MEMBERS)


def test_a_union_member_follows_the_options_that_have_it(indexes):
    text = CATALOG_HEADER + "def use(value: Union[Reader, Catalog]):\n    value.current.<|cursor|>\n"
    assert_high_members(py(indexes, text), READER_MEMBERS)
    assert_high_members(py(indexes, CATALOG_HEADER + "Catalog().either().<|cursor|>\n"), {"readline"} | WRITER_MEMBERS)
    assert_high_members(py(indexes, CATALOG_HEADER + "Catalog().maybe().<|cursor|>\n"), READER_MEMBERS, {"write"})


@pytest.mark.parametrize(
    "binding",
    [
        "def use(items: List[Reader]):\n    for item in items:\n        item.<|cursor|>\n",
        "def use(items: Sequence[Reader]):\n    for item in items:\n        item.<|cursor|>\n",  # abstract, elements known
        "def use(items: Streams):\n    for item in items:\n        item.<|cursor|>\n",  # an alias from another file
        "def use(items: 'Tuple[Reader, ...]'):\n    [item.<|cursor|> for item in items]\n",
        "def use(table: Dict[str, Reader]):\n    table['a'].<|cursor|>\n",
        "def use(items: List[Reader]):\n    items[0].<|cursor|>\n",
        "def use(*items: Reader):\n    items[1].<|cursor|>\n",
        "for item in Catalog().streams():\n    item.<|cursor|>\n",  # a repository generic built on list
        "Catalog().by_name['x'].<|cursor|>\n",  # the attribute's annotation, not its last assignment
        "Catalog().pair()[0].<|cursor|>\n",
    ],
    ids=["list-loop", "sequence-loop", "alias-loop", "tuple-comprehension", "dict-value", "list-index",
         "star-args", "repo-generic", "annotated-attribute", "tuple-position"],
)
def test_elements_of_annotated_containers(indexes, binding):
    assert_high_members(py(indexes, CATALOG_HEADER + binding), READER_MEMBERS, {"write"})


def test_containers_whose_elements_are_not_known_stay_low(indexes):
    for binding in ("def use(items: list):\n    for item in items:\n        item.<|cursor|>\n",
                    "def use(table: dict):\n    for key, value in table.items():\n        value.<|cursor|>\n",
                    "def use(**options):\n    options['a'].<|cursor|>\n"):
        assert py(indexes, CATALOG_HEADER + binding).confidence == "low", binding


def test_splat_parameters_are_a_tuple_and_a_dict(indexes):
    assert_high_members(py(indexes, "def use(*args, **options):\n    options.<|cursor|>\n"), {"items", "get"})
    assert_high_members(py(indexes, "def use(*args: int):\n    args.<|cursor|>\n"), {"count", "index"}, {"bit_length"})
    assert_high_members(py(indexes, "def use(*args: int):\n    args[0].<|cursor|>\n"), {"bit_length"})


def test_a_property_with_a_setter_gives_the_getter_type(indexes):
    assert_high_members(py(indexes, CATALOG_HEADER + "Catalog().current.<|cursor|>\n"), READER_MEMBERS)
    # `@property  # type: ignore[misc]`: the comment is not part of the decorator's name.
    assert_high_members(py(indexes, CATALOG_HEADER + "Catalog().main.<|cursor|>\n"), WRITER_MEMBERS)


def test_a_name_rebound_from_itself_reads_the_binding_before(indexes):
    text = CATALOG_HEADER + "def use(stream: Reader):\n    stream = stream.<|cursor|>\n"
    assert_high_members(py(indexes, text), READER_MEMBERS)


def test_brackets_left_open_by_the_typed_line_do_not_hide_the_rest_of_the_file(tmp_path):
    # The method defined below the cursor is only seen when the open `{` and `(` are closed.
    source = ("class Walker:\n    def pairs(self):\n        return dict({k: v for k, v in self.<|cursor|>\n\n"
              "    def table(self):\n        return {}\n")
    [names] = resolve_in(tmp_path, {}, ("a.py", source))
    assert names.confidence == "high" and {"pairs", "table"} <= set(names.names)


# -- Python: return values of unannotated functions -------------------------------------


@pytest.mark.parametrize("body, expected", [
    ("    return Reader(path)\n", {"readline"}),
    ("    if path:\n        return Reader(path)\n    return None\n", {"readline"}),  # None is ruled out by use
    ("    if path:\n        return Reader(path)\n    return Writer(path)\n", {"readline", "flush"}),
    ("    def inner():\n        return 1\n    return Writer(path)\n", {"flush"}),  # a nested return is not its own
])
def test_an_unannotated_function_returns_what_its_returns_give(indexes, body, expected):
    text = "from pkg.reader import Reader\nfrom pkg.writer import Writer\n\ndef make(path):\n" + body + "\nmake('p').<|cursor|>\n"
    assert_high_members(py(indexes, text), expected)


@pytest.mark.parametrize("body", [
    "    return helper(path)\n",  # not known
    "    if path:\n        return Reader(path)\n    return helper(path)\n",  # one side not known
    "    return make(path)\n",  # recursion
    "    yield Reader(path)\n    return Reader(path)\n",  # a generator
    "    return\n",
])
def test_unknown_returns_of_an_unannotated_function_are_low(indexes, body):
    text = "from pkg.reader import Reader\n\ndef make(path):\n" + body + "\nmake('p').<|cursor|>\n"
    assert py(indexes, text).confidence == "low"


def test_a_coroutine_without_annotation_is_low(indexes):
    text = "from pkg.reader import Reader\n\nasync def make(path):\n    return Reader(path)\n\nmake('p').<|cursor|>\n"
    assert py(indexes, text).confidence == "low"


# -- Python: the standard library's stubs (typeshed) -------------------------------------


@pytest.mark.parametrize("expression, expected, absent", [
    ("re.match('a', text)", {"group", "span", "groupdict"}, set()),
    ("re.compile('a').match(text)", {"group", "span"}, set()),  # a method of the returned Pattern
    ("subprocess.run(['ls'])", {"returncode", "stdout", "check_returncode"}, set()),
    ("Path('x').parent", {"exists", "read_text", "parent"}, set()),  # `-> Self` is the receiver's class
    ("Path.home()", {"exists", "iterdir"}, set()),
    ("os.path.join('a', 'b')", {"split", "startswith"}, set()),
    ("'a b'.split()[0]", {"upper", "startswith"}, {"append"}),  # list[LiteralString]: a str
])
def test_standard_library_returns_come_from_the_stubs(indexes, expression, expected, absent):
    text = f"import os\nimport re\nimport subprocess\nfrom pathlib import Path\n\n{expression}.<|cursor|>\n"
    assert_high_members(py(indexes, text), expected, absent)


@pytest.mark.parametrize("expression", [
    "importlib.import_module('pkg')",  # a module chosen at run time
    "{}.get('a')",  # a type variable of the stub: not substituted
    "json.loads(text)",  # Any
])
def test_stub_returns_that_say_too_little_stay_low(indexes, expression):
    text = f"import importlib\nimport json\n\n{expression}.<|cursor|>\n"
    assert py(indexes, text).confidence == "low"


def test_a_method_returning_self_gives_the_receivers_class(tmp_path):
    source = ("from typing import Self\n\n\nclass Base:\n    def copy(self) -> Self:\n        return self\n\n\n"
              "class Child(Base):\n    def grow(self):\n        pass\n\n\nChild().copy().<|cursor|>\n")
    [names] = resolve_in(tmp_path, {}, ("a.py", source))
    assert names.confidence == "high" and {"grow", "copy"} <= set(names.names)


def test_overloads_without_an_annotated_implementation_give_every_variant(tmp_path):
    source = ("from typing import overload\n\n\nclass A:\n    def a(self):\n        pass\n\n\nclass B:\n    def b(self):\n        pass\n\n\n"
              "@overload\ndef make(kind: int) -> A: ...\n@overload\ndef make(kind: str) -> B: ...\n"
              "def make(kind):\n    return A() if kind else B()\n\n\nmake(1).<|cursor|>\n")
    [names] = resolve_in(tmp_path, {}, ("a.py", source))
    assert names.confidence == "high" and {"a", "b"} <= set(names.names)


# -- Python: unpacking -----------------------------------------------------------------

UNPACK_HEADER = (
    "import re\nfrom typing import List, NamedTuple, Tuple\nfrom pkg.reader import Reader\nfrom pkg.writer import Writer\n\n"
    "class Seg(NamedTuple):\n    text: str\n    reader: Reader\n    count: int = 0\n\n"
    "def use(segs: List[Seg], pairs: List[Tuple[str, Reader]], readers: List[Reader], writers: List[Writer]):\n"
)


@pytest.mark.parametrize("lines", [
    "    for text, reader, count in segs:\n        reader.<|cursor|>\n",  # a NamedTuple's fields
    "    for name, reader in pairs:\n        reader.<|cursor|>\n",  # a tuple's positions
    "    for (name, reader) in pairs:\n        reader.<|cursor|>\n",
    "    for i, reader in enumerate(readers):\n        reader.<|cursor|>\n",
    "    for writer, reader in zip(writers, readers):\n        reader.<|cursor|>\n",
    "    for i, (name, reader) in enumerate(pairs):\n        reader.<|cursor|>\n",  # nested
    "    name, reader = pairs[0]\n    reader.<|cursor|>\n",
    "    writer, reader = writers[0], readers[0]\n    reader.<|cursor|>\n",  # written out
    "    [reader.<|cursor|> for name, reader in pairs]\n",
], ids=["namedtuple", "tuple", "parenthesized", "enumerate", "zip", "nested", "assign", "written-out", "comprehension"])
def test_an_unpacked_name_is_the_part_at_its_place(indexes, lines):
    assert_high_members(py(indexes, UNPACK_HEADER + lines), READER_MEMBERS, {"flush"})


def test_enumerate_counts_with_ints(indexes):
    assert_high_members(py(indexes, UNPACK_HEADER + "    for i, reader in enumerate(readers):\n        i.<|cursor|>\n"), {"bit_length"})


@pytest.mark.parametrize("lines", [
    "    first, *rest = readers\n    first.<|cursor|>\n",  # a starred target
    "    for a, b in readers:\n        b.<|cursor|>\n",  # a Reader is not unpackable as far as we know
    "    a, b = make()\n    b.<|cursor|>\n",
])
def test_unpacking_that_cannot_be_followed_is_low(indexes, lines):
    assert py(indexes, UNPACK_HEADER + lines).confidence == "low"


@pytest.mark.parametrize("lines, expected, absent", [
    ("    for item in (readers[0], writers[0]):\n        item.<|cursor|>\n", {"readline", "flush"}, set()),
    ("    for item, label in zip((readers[0], readers[1]), ('a', 'b')):\n        item.<|cursor|>\n", READER_MEMBERS, {"flush"}),
    ("    pair = (readers[0], writers[0])\n    pair[1].<|cursor|>\n", {"flush"}, {"readline"}),
    ("    for item in [readers[0], readers[1]]:\n        item.<|cursor|>\n", READER_MEMBERS, set()),
])
def test_literal_collections_know_their_items(indexes, lines, expected, absent):
    assert_high_members(py(indexes, UNPACK_HEADER + lines), expected, absent)


def test_a_literal_with_an_unknown_item_is_low_when_iterated(indexes):
    assert py(indexes, UNPACK_HEADER + "    for item in (readers[0], make()):\n        item.<|cursor|>\n").confidence == "low"


# -- Python: generic methods on typed containers ----------------------------------------

GENERIC_HEADER = (
    "from typing import Dict, Generic, List, TypeVar\nfrom pkg.reader import Reader\nfrom pkg.writer import Writer\n\n"
    "T = TypeVar('T')\n\nclass Stack(Generic[T]):\n    def top(self) -> T:\n        ...\n    def size(self) -> int:\n        ...\n\n"
    "def use(table: Dict[str, Reader], readers: List[Reader], stack: 'Stack[Writer]'):\n"
)


@pytest.mark.parametrize("lines, expected", [
    ("    for key, reader in table.items():\n        reader.<|cursor|>\n", READER_MEMBERS),
    ("    for key, reader in table.items():\n        key.<|cursor|>\n", {"upper", "split"}),
    ("    for reader in table.values():\n        reader.<|cursor|>\n", READER_MEMBERS),
    ("    for key in table:\n        key.<|cursor|>\n", {"upper"}),
    ("    readers.pop().<|cursor|>\n", READER_MEMBERS),
    ("    readers.copy()[0].<|cursor|>\n", READER_MEMBERS),
    ("    stack.top().<|cursor|>\n", {"write", "flush"}),  # a repository generic
], ids=["items-value", "items-key", "values", "keys", "pop", "copy", "repo-generic"])
def test_a_generic_method_returns_the_receivers_type_arguments(indexes, lines, expected):
    assert_high_members(py(indexes, GENERIC_HEADER + lines), expected)


def test_a_method_type_variable_of_its_own_stays_low(indexes):
    # dict.get's default overload returns `_VT | _T`: _T is the caller's, not known.
    assert py(indexes, GENERIC_HEADER + "    table.get('a').<|cursor|>\n").confidence == "low"
    assert py(indexes, GENERIC_HEADER + "    Stack().top().<|cursor|>\n").confidence == "low"  # no arguments


def test_a_type_variable_in_a_string_annotation_is_substituted_too(tmp_path):
    source = ("from typing import Generic, TypeVar\nT = TypeVar('T')\n\n\nclass Box(Generic[T]):\n"
              "    def peek(self) -> 'T':\n        ...\n\n\nclass Item:\n    def weigh(self):\n        pass\n\n\n"
              "def use(box: 'Box[Item]'):\n    box.peek().<|cursor|>\n")
    [names] = resolve_in(tmp_path, {}, ("a.py", source))
    assert names.confidence == "high" and "weigh" in names.names
