"""The engine with a FIM model on an empty line inside a function (issue 10's defect).

On the real default model (Qwen2.5-Coder-0.5B, greedy, default settings: multi-line
"auto", context "repo"): the suggestion fills the gap without writing again the code
below it, which the model sees and tends to copy. The mechanics around the model
(which mode a prefix-only model gets, where streaming stops) with a scripted model.
"""

from __future__ import annotations

import ast
import textwrap
from typing import Iterator, Sequence

import pytest

from coder.completion.engine import CompletionEngine, CompletionRequest
from coder.models.backend import Backend, Generation, GenerationRequest, GenerationStats, ModelInfo, SpecialTokens

# A loop's header removed: the cursor at column 0 of the empty line it leaves (as
# HumanEval's infilling tasks put it, and as an editor without auto-indent does).
PAIRS = textwrap.dedent('''\
    def count_close_pairs(values, limit):
        """How many pairs of values differ by less than limit."""
        count = 0

            for j in range(i + 1, len(values)):
                if abs(values[i] - values[j]) < limit:
                    count += 1
        return count
''')
PAIRS_GAP = 3  # 0-based line of the empty line


def _lines_below(text: str, line: int) -> set[str]:
    return {l.strip() for l in text.split("\n")[line + 1:] if l.strip()}


def _insert(text: str, line: int, suggestion: str) -> str:
    lines = text.split("\n")
    lines[line] = suggestion
    return "\n".join(lines)


@pytest.fixture(scope="module")
def qwen_engine(qwen_model):
    from coder.models.llama_backend import LlamaWorkerBackend

    backend = LlamaWorkerBackend(qwen_model, n_ctx=2048, n_threads=2)
    yield CompletionEngine(backend)
    backend.close()


@pytest.mark.model
def test_an_empty_line_inside_a_function_is_filled_without_the_code_below(qwen_engine):
    suggestion = qwen_engine.complete(CompletionRequest("pairs.py", PAIRS, PAIRS_GAP, 0, language="python", context="repo"))
    assert suggestion.mode == "multi"
    assert suggestion.format == "qwen-repo"
    assert suggestion.text.strip(), qwen_engine.last_raw
    # Nothing the file already holds below the gap, though the model wrote it.
    assert not {l.strip() for l in suggestion.text.split("\n")} & _lines_below(PAIRS, PAIRS_GAP), suggestion.text
    program = _insert(PAIRS, PAIRS_GAP, suggestion.text)
    ast.parse(program)
    scope: dict = {}
    exec(program, scope)  # noqa: S102 - the model's loop header over the test's own function
    assert scope["count_close_pairs"]([1.0, 1.5, 4.0, 4.2], 1.0) == 2


# -- mechanics, with a scripted model --------------------------------------------


class _Generation(Generation):
    def __init__(self, text: str):
        self._text = text
        self.stats = GenerationStats(finish_reason="stop")
        self.cancelled = False

    def __iter__(self) -> Iterator[str]:
        for line in self._text.split("\n")[:-1]:
            if self.cancelled:
                return
            yield line + "\n"
        if not self.cancelled:
            yield self._text.split("\n")[-1]

    def cancel(self) -> None:
        self.cancelled = True
        self.stats.finish_reason = "cancelled"


class _Model(Backend):
    """Characters as tokens; FIM control tokens when ``fim``; one scripted output."""

    def __init__(self, output: str, *, fim: bool):
        self.output = output
        self.fim = fim
        self.requests: list[GenerationRequest] = []
        self.generations: list[_Generation] = []

    def info(self) -> ModelInfo:
        texts = ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")
        ids = dict(zip(texts, (900001, 900002, 900003))) if self.fim else {}
        specials = SpecialTokens(
            fim_prefix=ids.get(texts[0]), fim_suffix=ids.get(texts[1]), fim_middle=ids.get(texts[2]), by_text=ids
        )
        return ModelInfo(name="scripted", architecture="none", context_length=4096, specials=specials)

    def tokenize(self, text: str, *, special: bool = False) -> list[int]:
        return [ord(c) for c in text]

    def detokenize(self, ids: Sequence[int]) -> str:
        return "".join(chr(i) for i in ids)

    def stream(self, request: GenerationRequest) -> Generation:
        self.requests.append(request)
        self.generations.append(_Generation(self.output))
        return self.generations[-1]


BELOW_ZERO = textwrap.dedent('''\
    def below_zero(operations):
        balance = 0
        for op in operations:
            balance += op

                return True
        return False
''')


def test_a_prefix_only_model_gets_one_line_in_the_middle_of_a_block():
    model = _Model("        if balance < 0:\n            return True\n    return False", fim=False)
    suggestion = CompletionEngine(model).complete(
        CompletionRequest("z.py", BELOW_ZERO, 4, 0, language="python", context="local", candidates=1))
    assert suggestion.format == "prefix-only"
    assert suggestion.mode == "single"
    assert model.requests[0].stop == ("\n",)
    assert suggestion.text == "        if balance < 0:"


def test_a_fim_model_gets_the_block_and_streaming_stops_where_it_copies_the_code_below():
    copy = "        if balance < 0:\n            return True\n    return False\n" + "    # more\n" * 20
    model = _Model(copy, fim=True)
    suggestion = CompletionEngine(model).complete(
        CompletionRequest("z.py", BELOW_ZERO, 4, 0, language="python", context="local", candidates=1))
    assert suggestion.format == "qwen-repo"
    assert suggestion.mode == "multi"
    assert suggestion.text == "        if balance < 0:"
    assert model.generations[0].cancelled  # stopped at the copied line, not after 20 more
    assert suggestion.tokens["finish_reason"] == "block_end"
