"""Post-processing cases as data files: input with a cursor, raw model output, and
the suggestion a user should see. Each file is its own test."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from coder.completion.postprocess import decide_mode, postprocess

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CASES = sorted((Path(__file__).parent / "postprocess_cases").glob("*.toml"))
CURSOR = "<|cursor|>"


def load(path: Path) -> dict:
    case = tomllib.loads(path.read_text(encoding="utf-8"))
    prefix, _, suffix = case["text"].partition(CURSOR)
    assert _ == CURSOR, f"{path.name}: no cursor marker"
    return {**case, "prefix": prefix, "suffix": suffix}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path):
    case = load(path)
    # sees_suffix = false: a prefix-only model's request (the default is a FIM model).
    mode = decide_mode(case["language"], case["prefix"], case["suffix"], sees_suffix=case.get("sees_suffix", True))
    if "mode" in case:
        assert mode == case["mode"]
    # model_ended = true: a FIM model stopped by itself (the engine's _model_ended).
    result = postprocess(case["raw"], language=case["language"], prefix=case["prefix"], suffix=case["suffix"], mode=mode,
                         model_ended=case.get("model_ended", False))
    assert result == case["expected"]


def test_there_are_many_cases_across_languages():
    languages = {load(p)["language"] for p in CASES}
    assert len(CASES) >= 30
    assert {"python", "javascript", "typescript", "go", "rust", "java", "c", "cpp", "bash", "text"} <= languages
