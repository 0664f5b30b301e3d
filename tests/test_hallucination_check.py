"""The hallucination check on data cases: tests/hallucination_cases/*.toml.

Each case names a language, a tiny repository (a fixture under
tests/fixtures/grounding/ and/or inline [files]), the buffer text with a
``<|cursor|>`` marker, the model's suggestion and the names expected to be flagged.
The repository is indexed with the real RepoIndex in a temporary directory.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from coder.grounding import check_suggestion, resolve_names
from coder.index.repo_index import RepoIndex
from tests.support.installed_packages import install

HERE = Path(__file__).parent
CASES = sorted((HERE / "hallucination_cases").glob("*.toml"))
FIXTURES = HERE / "fixtures" / "grounding"
CURSOR = "<|cursor|>"


def load_case(path: Path) -> dict:
    case = tomllib.loads(path.read_text(encoding="utf-8"))
    for key in ("language", "path", "text", "suggestion", "invalid"):
        assert key in case, f"{path.name}: missing {key}"
    assert case["text"].count(CURSOR) == 1, f"{path.name}: text needs exactly one {CURSOR}"
    return case


def build_repo(case: dict, root: Path) -> RepoIndex:
    repo = root / "repo"
    if "fixture" in case:
        shutil.copytree(FIXTURES / case["fixture"], repo)
    repo.mkdir(exist_ok=True)
    for name, content in case.get("files", {}).items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    if case.get("installed"):
        install(repo, case["installed"])
    index = RepoIndex(repo, cache_path=root / "index.sqlite3")
    index.refresh()
    return index


def cursor_position(marked: str) -> tuple[str, int, int]:
    offset = marked.index(CURSOR)
    text = marked.replace(CURSOR, "")
    line = text.count("\n", 0, offset)
    col = offset - (text.rfind("\n", 0, offset) + 1)
    return text, line, col


def test_there_are_enough_cases():
    assert len(CASES) >= 20
    languages = {load_case(path)["language"] for path in CASES}
    assert {"python", "javascript", "typescript"} <= languages


@pytest.mark.parametrize("case_path", CASES, ids=[path.stem for path in CASES])
def test_hallucination_case(case_path: Path, tmp_path: Path):
    case = load_case(case_path)
    index = build_repo(case, tmp_path)
    try:
        text, line, col = cursor_position(case["text"])
        names = resolve_names(index, case["path"], text, line, col, case["language"])
        result = check_suggestion(
            case["suggestion"], names_context=names, index=index, path=case["path"],
            text=text, line=line, col=col, language=case["language"],
        )
    finally:
        index.close()
    assert result.invalid_names == case["invalid"], (case["description"], result.reasons)
    assert result.valid == (not case["invalid"])
    assert len(result.reasons) == len(result.invalid_names)


def test_other_languages_are_never_flagged(tmp_path: Path):
    (tmp_path / "repo").mkdir()
    index = RepoIndex(tmp_path / "repo", cache_path=tmp_path / "index.sqlite3")
    index.refresh()
    text = "fn main() {\n    let v = Vec::new();\n    v.\n}\n"
    names = resolve_names(index, "main.rs", text, 2, 6, "rust")
    assert names.confidence == "low"
    result = check_suggestion("pushh(1);", names_context=names, index=index, path="main.rs",
                              text=text, line=2, col=6, language="rust")
    assert result.valid and result.invalid_names == []
    index.close()
