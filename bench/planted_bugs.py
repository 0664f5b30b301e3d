"""One planted bug per HumanEval solution, for the fix benchmark.

Mutations are text edits at one token of the entry-point function (the rest of the
file stays as it was): off-by-one (a small integer literal +-1), a wrong arithmetic
operator, a wrong comparison, swapped arguments of a two-argument call. The kind is
chosen by the task's number, falling through to the next kind when it does not apply;
within a kind, the site is picked deterministically from the task id.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import tokenize
from dataclasses import dataclass
from pathlib import Path

KINDS = ("off_by_one", "operator", "comparison", "swapped_arguments")
OPERATORS = {"+": "-", "-": "+", "*": "+", "//": "%", "%": "//"}
COMPARISONS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
PROBLEMS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "loops" / "humaneval" / "problems.jsonl"


@dataclass(frozen=True)
class PlantedBug:
    task_id: str
    entry_point: str
    kind: str
    solution: str  # the correct program
    buggy: str  # the program with the bug
    test: str  # METADATA and check(candidate)
    line: int  # 1-based line of the bug


def load_problems(path: Path = PROBLEMS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _function_lines(source: str, name: str) -> tuple[int, int]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            body_start = node.body[0].lineno
            if isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant) and len(node.body) > 1:
                body_start = node.body[1].lineno  # skip the docstring
            return body_start, node.end_lineno
    raise ValueError(f"no function {name}")


def _offsets(source: str) -> list[int]:
    starts, total = [], 0
    for line in source.splitlines(keepends=True):
        starts.append(total)
        total += len(line)
    return starts


def _token_sites(source: str, first: int, last: int, kind: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) character spans for a token-level mutation."""
    starts = _offsets(source)
    sites = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if not first <= token.start[0] <= last:
            continue
        start = starts[token.start[0] - 1] + token.start[1]
        end = start + len(token.string)
        if kind == "off_by_one" and token.type == tokenize.NUMBER and token.string in ("0", "1", "2"):
            sites.append((start, end, str(int(token.string) + 1)))
        elif kind == "operator" and token.type == tokenize.OP and token.string in OPERATORS:
            sites.append((start, end, OPERATORS[token.string]))
        elif kind == "comparison" and token.type == tokenize.OP and token.string in COMPARISONS:
            sites.append((start, end, COMPARISONS[token.string]))
    return sites


def _swap_sites(source: str, first: int, last: int) -> list[tuple[int, int, str]]:
    starts = _offsets(source)
    sites = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and len(node.args) == 2 and not node.keywords
                and first <= node.lineno <= last and node.args[0].lineno == node.args[1].end_lineno):
            a, b = node.args
            a_text, b_text = ast.get_source_segment(source, a), ast.get_source_segment(source, b)
            if a_text == b_text:
                continue
            start = starts[a.lineno - 1] + a.col_offset
            end = starts[b.end_lineno - 1] + b.end_col_offset
            between = source[starts[a.end_lineno - 1] + a.end_col_offset:starts[b.lineno - 1] + b.col_offset]
            sites.append((start, end, b_text + between + a_text))
    return sites


def plant(problem: dict, index: int) -> PlantedBug | None:
    source = problem["solution"]
    first, last = _function_lines(source, problem["entry_point"])
    seed = int(hashlib.sha256(problem["task_id"].encode()).hexdigest(), 16)
    for step in range(len(KINDS)):
        kind = KINDS[(index + step) % len(KINDS)]
        sites = _swap_sites(source, first, last) if kind == "swapped_arguments" else _token_sites(source, first, last, kind)
        if not sites:
            continue
        start, end, replacement = sites[seed % len(sites)]
        buggy = source[:start] + replacement + source[end:]
        try:
            ast.parse(buggy)
        except SyntaxError:
            continue
        return PlantedBug(problem["task_id"], problem["entry_point"], kind, source, buggy, problem["test"],
                          source.count("\n", 0, start) + 1)
    return None


def write_project(bug: PlantedBug, folder: Path, *, buggy: bool = True) -> Path:
    """A tiny project: solution.py and tests/test_solution.py running the task's check."""
    folder.mkdir(parents=True)
    (folder / "solution.py").write_text(bug.buggy if buggy else bug.solution, encoding="utf-8")
    (folder / "tests").mkdir()
    (folder / "tests" / "test_solution.py").write_text(
        f"from solution import {bug.entry_point}\n\n{bug.test}\n\n\ndef test_check():\n    check({bug.entry_point})\n",
        encoding="utf-8")
    return folder
