"""The engine's candidate loop, as pure logic: a scripted backend plays the model so
each branch (accepted, rejected then replaced, nothing fits, superseded) is reached
on purpose. The same paths run on the real model in test_completion_engine.py."""

from __future__ import annotations

import subprocess
from typing import Iterator, Sequence

import pytest

from coder.completion.engine import CompletionEngine, CompletionRequest, suggestion_from
from coder.index.repo_index import RepoIndex
from coder.models.backend import Backend, Generation, GenerationRequest, GenerationStats, ModelInfo, SpecialTokens


class _ScriptedGeneration(Generation):
    def __init__(self, text: str, cancelled: bool, finish: str = "stop"):
        self._text = text
        self.stats = GenerationStats(generated_tokens=len(text), finish_reason="cancelled" if cancelled else finish)

    def __iter__(self) -> Iterator[str]:
        yield from self._text

    def cancel(self) -> None:
        self.stats.finish_reason = "cancelled"


class ScriptedBackend(Backend):
    """Answers generations from a list; tokens are characters (no model)."""

    def __init__(self, outputs: list[str], cancelled: Sequence[int] = ()):
        self.outputs = list(outputs)
        self.cancelled = set(cancelled)
        self.requests: list[GenerationRequest] = []

    def info(self) -> ModelInfo:
        return ModelInfo(name="scripted", architecture="none", context_length=4096)

    def tokenize(self, text: str, *, special: bool = False) -> list[int]:
        return [ord(c) for c in text]

    def detokenize(self, ids: Sequence[int]) -> str:
        return "".join(chr(i) for i in ids)

    def stream(self, request: GenerationRequest) -> Generation:
        number = len(self.requests)
        self.requests.append(request)
        return _ScriptedGeneration(self.outputs[number], number in self.cancelled)


class ScriptedFimBackend(ScriptedBackend):
    """The same, with Qwen's FIM tokens: the engine builds FIM prompts, the model sees
    the suffix. finish: how each generation ends ("stop": the model's own end,
    "length": the token limit)."""

    def __init__(self, outputs: list[str], finish: str):
        super().__init__(outputs)
        self.finish = finish

    def info(self) -> ModelInfo:
        by_text = {text: 0x10000 + n for n, text in enumerate(("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"))}
        return ModelInfo(name="scripted-fim", architecture="qwen2", context_length=4096,
                         specials=SpecialTokens(by_text=by_text))

    def stream(self, request: GenerationRequest) -> Generation:
        self.requests.append(request)
        return _ScriptedGeneration(self.outputs[len(self.requests) - 1], False, self.finish)


@pytest.fixture
def shop(tmp_path):
    root = tmp_path / "shop"
    root.mkdir()
    (root / "cart.py").write_text(
        "class Cart:\n    def __init__(self):\n        self.items = []\n\n"
        "    def add_item(self, item):\n        self.items.append(item)\n\n"
        "    def total_price(self):\n        return 0\n"
    )
    main = root / "main.py"
    main.write_text("from cart import Cart\n\ncart = Cart()\ncart.\nprint(cart)\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    index = RepoIndex(root)
    index.refresh()
    yield index, main
    index.close()


def request_at(path, line, column, **options) -> CompletionRequest:
    return CompletionRequest(str(path), path.read_text(), line, column, language="python", **options)


def test_an_invented_member_is_replaced_by_the_next_candidate_and_counted(shop):
    index, main = shop
    # The grammar only holds the first name; a later member of a known class is checked.
    backend = ScriptedBackend(["add_item(cart.frobnicate)", "total_price()"])
    engine = CompletionEngine(backend, index=index)
    suggestion = engine.complete(request_at(main, 3, 5, context="repo"))
    assert suggestion.text == "total_price()"
    assert [c["rejected"] for c in suggestion.candidates] == ["invalid_names", None]
    assert suggestion.grounding["invalid_names"] == ["frobnicate"]
    assert suggestion.grounding["dropped"] is False
    first, second = backend.requests
    assert first.temperature == 0 and second.temperature > 0  # greedy first, then sampled
    assert first.grammar is not None and second.grammar == first.grammar
    assert first.prompt == second.prompt  # the same prompt: only generation costs again


def test_nothing_is_shown_when_every_candidate_invents_names(shop):
    index, main = shop
    backend = ScriptedBackend(["nope()", "add_item(cart.nada)", "add_item(cart.zilch)"])
    suggestion = CompletionEngine(backend, index=index).complete(request_at(main, 3, 5, context="repo", candidates=3))
    assert suggestion.text == ""
    assert len(backend.requests) == 3
    assert suggestion.grounding["invalid_names"] == ["nada", "nope", "zilch"]
    assert suggestion.grounding["dropped"] is True
    assert suggestion.candidates[0]["invalid_names"] == ["nope"]


def test_when_every_candidate_invents_a_name_the_first_is_shown_up_to_it(shop):
    index, main = shop
    backend = ScriptedBackend(["add_item(cart.nada)", "add_item(cart.zilch)"])
    suggestion = CompletionEngine(backend, index=index).complete(request_at(main, 3, 5, context="repo", candidates=2))
    assert suggestion.text == "add_item(cart."  # the valid start; the user goes on from there
    assert suggestion.grounding["invalid_names"] == ["nada", "zilch"]
    assert suggestion.grounding["dropped"] is False


def test_grounding_off_neither_constrains_nor_checks(shop):
    index, main = shop
    backend = ScriptedBackend(["frobnicate()"])
    suggestion = CompletionEngine(backend, index=index).complete(request_at(main, 3, 5, context="repo", grounding="off"))
    assert suggestion.text == "frobnicate()"
    assert backend.requests[0].grammar is None and suggestion.grounding == {}


def test_grounding_hint_puts_names_in_the_prompt_without_a_grammar(shop):
    index, main = shop
    backend = ScriptedBackend(["total_price()"])
    suggestion = CompletionEngine(backend, index=index).complete(request_at(main, 3, 5, context="repo", grounding="hint"))
    assert backend.requests[0].grammar is None
    assert suggestion.grounding["constrained"] is False
    hint = suggestion.grounding["hint"]
    assert hint.startswith("#") and "add_item" in hint and "total_price" in hint
    assert hint in backend.detokenize(backend.requests[0].prompt)


def test_with_the_grammar_on_the_prompt_has_no_hint(shop):
    index, main = shop
    backend = ScriptedBackend(["total_price()"])
    suggestion = CompletionEngine(backend, index=index).complete(request_at(main, 3, 5, context="repo"))
    assert backend.requests[0].grammar is not None and suggestion.grounding["hint"] is None
    assert "members:" not in backend.detokenize(backend.requests[0].prompt)


def test_a_backend_without_grammars_gets_the_hint_instead(shop):
    index, main = shop
    backend = ScriptedBackend(["total_price()"])
    backend.supports_grammar = False
    suggestion = CompletionEngine(backend, index=index).complete(request_at(main, 3, 5, context="repo"))
    assert backend.requests[0].grammar is None
    assert suggestion.grounding["constrained"] is False
    assert suggestion.grounding["hint"] in backend.detokenize(backend.requests[0].prompt)


def test_a_copy_of_the_next_line_is_replaced(tmp_path):
    path = tmp_path / "calc.py"
    path.write_text("def double(x):\n    y = x * 2\n\n    return y\n")
    backend = ScriptedBackend(["    return y", "    y += 1"])
    suggestion = CompletionEngine(backend).complete(request_at(path, 2, 0, context="local"))
    assert suggestion.text == "    y += 1"
    assert [c["rejected"] for c in suggestion.candidates] == ["repeats_next_line", None]


def test_when_nothing_fits_the_syntax_the_first_suggestion_is_still_shown(tmp_path):
    path = tmp_path / "calc.py"
    path.write_text("def double(x):\n    y = x * 2\n\n    return y\n")
    backend = ScriptedBackend(["    z = (y", "    w = [y", "    q = {y"])
    suggestion = CompletionEngine(backend).complete(request_at(path, 2, 0, context="local"))
    assert suggestion.text == "    z = (y"  # the file may be mid-edit: this is still the best guess
    assert [c["rejected"] for c in suggestion.candidates] == ["breaks_syntax"] * 3


def test_without_context_the_suffix_is_not_checked(tmp_path):
    path = tmp_path / "calc.py"
    path.write_text("def double(x):\n    y = x * 2\n\n    return y\n")
    backend = ScriptedBackend(["    z = (y"])
    suggestion = CompletionEngine(backend).complete(request_at(path, 2, 0, context="none"))
    assert suggestion.text == "    z = (y" and len(backend.requests) == 1


def test_a_superseded_request_shows_nothing_and_is_not_cached(tmp_path):
    path = tmp_path / "calc.py"
    path.write_text("def add(a, b):\n    return\n")
    backend = ScriptedBackend([" a + b", " a + b"], cancelled=[0])
    engine = CompletionEngine(backend)
    first = engine.complete(request_at(path, 1, 10, context="local"))
    assert first.text == "" and first.tokens["finish_reason"] == "cancelled"
    again = engine.complete(request_at(path, 1, 10, context="local"))
    assert again.text == " a + b" and not again.cached


def test_a_multi_line_suggestion_stops_generating_at_the_end_of_the_block(tmp_path):
    path = tmp_path / "calc.py"
    path.write_text("def add(a, b):\n    \n")
    backend = ScriptedBackend(["return a + b\n\ndef sub(a, b):\n    return a - b\n"])
    suggestion = CompletionEngine(backend).complete(request_at(path, 1, 4, context="local"))
    assert suggestion.text == "return a + b"
    assert suggestion.tokens["finish_reason"] == "block_end"


def test_unknown_grounding_mode_is_a_usage_error(tmp_path):
    from coder.errors import UsageError

    path = tmp_path / "calc.py"
    path.write_text("x = 1\n")
    with pytest.raises(UsageError, match="grounding must be one of off, hint, on"):
        CompletionEngine(ScriptedBackend([""])).complete(request_at(path, 0, 5, grounding="maybe"))


def test_past_the_deadline_only_an_invented_name_gets_another_candidate(tmp_path, shop, monkeypatch):
    import coder.completion.engine as engine_module

    monkeypatch.setattr(engine_module, "CANDIDATE_DEADLINE_MS", 0)
    monkeypatch.setattr(engine_module, "ASKED_CANDIDATE_DEADLINE_MS", 0)
    path = tmp_path / "calc.py"
    path.write_text("def double(x):\n    y = x * 2\n\n    return y\n")
    backend = ScriptedBackend(["    z = (y", "    w = y"])
    late = CompletionEngine(backend).complete(request_at(path, 2, 0, context="local"))
    assert len(backend.requests) == 1 and late.text == "    z = (y"  # shown as the best there is
    index, main = shop
    backend = ScriptedBackend(["add_item(cart.frobnicate)", "total_price()"])
    grounded = CompletionEngine(backend, index=index).complete(request_at(main, 3, 5, context="repo"))
    assert len(backend.requests) == 2 and grounded.text == "total_price()"


def test_a_request_the_user_made_retries_later_than_one_made_by_typing(tmp_path, monkeypatch):
    import coder.completion.engine as engine_module

    monkeypatch.setattr(engine_module, "CANDIDATE_DEADLINE_MS", 0)  # typing: always too late for another
    path = tmp_path / "calc.py"
    path.write_text("def double(x):\n    y = x * 2\n\n    return y\n")
    typing = ScriptedBackend(["    z = (y", "    w = y"])
    CompletionEngine(typing).complete(request_at(path, 2, 0, context="local", deadline_ms=400))
    asked = ScriptedBackend(["    z = (y", "    w = y"])
    suggestion = CompletionEngine(asked).complete(request_at(path, 2, 0, context="local"))
    assert len(typing.requests) == 1
    assert len(asked.requests) == 2 and suggestion.text == "    w = y"


def test_members_the_receiver_uses_below_bias_the_first_token(shop):
    index, main = shop
    main.write_text("from cart import Cart\n\ncart = Cart()\ncart.\nprint(cart)\ncart.total_price()\ncart.add_item(1)\n")
    backend = ScriptedBackend(["total_price()", "total_price()"])
    engine = CompletionEngine(backend, index=index)
    suggestion = engine.complete(request_at(main, 3, 5, context="repo"))
    assert backend.requests[0].first_token_bias == ((ord("a"), pytest.approx(2.4)), (ord("t"), 4.0))
    assert suggestion.grounding["biased_tokens"] == 2
    # Free generation gets no bias.
    engine.cache.forget(str(main))
    engine.complete(request_at(main, 3, 5, context="repo", grounding="off"))
    assert backend.requests[1].first_token_bias == ()


def test_the_name_a_member_is_bound_to_biases_the_first_token_and_adds_to_the_below_bias(shop):
    from coder.grounding import name_prior, target_prior

    index, main = shop
    main.write_text("from cart import Cart\n\ncart = Cart()\nitems = cart.\ncart.items.clear()\n")
    backend = ScriptedBackend(["items"])
    CompletionEngine(backend, index=index).complete(request_at(main, 3, 13, context="repo"))
    # `items = cart.`: the same name, and used below on the same receiver: both biases.
    expected = target_prior.BIAS_BY_STRENGTH[3] + name_prior.BIAS_STRENGTH
    assert backend.requests[0].first_token_bias == ((ord("i"), expected),)


def test_the_held_back_blank_is_taken_off_the_output():
    from coder.completion.engine import _after_held_back

    assert _after_held_back(" a + b", " ") == "a + b"
    assert _after_held_back("a + b", " ") == "a + b"  # it went on without the blank: still after it
    assert _after_held_back("  x", "  ") == "x"


SEPARATE = (
    "def separate(parens):\n    depth = 0\n    current = []\n    for c in parens:\n        if c == '(':\n"
    "            depth += 1\n\n            if depth == 0:\n"
    "                result.append(''.join(current))\n"
)
# An elif branch shallower than the hole: the block rules would end the suggestion before it.
WITH_ELIF = "            current.append(c)\n        elif c == ')':\n            depth -= 1\n"


@pytest.mark.parametrize("finish, expected", [
    ("stop", "            current.append(c)\n        elif c == ')':\n            depth -= 1"),
    ("length", "            current.append(c)"),
])
def test_a_fim_models_own_end_of_a_hole_is_kept_and_the_token_limit_gets_the_block_rules(tmp_path, finish, expected):
    path = tmp_path / "parens.py"
    path.write_text(SEPARATE)
    backend = ScriptedFimBackend([WITH_ELIF], finish)
    suggestion = CompletionEngine(backend).complete(request_at(path, 6, 0, context="local", candidates=1))
    assert backend.requests[0].prompt[0] == 0x10000  # a FIM prompt: the model saw the suffix
    assert suggestion.mode == "multi" and suggestion.text == expected


def test_a_prefix_only_models_end_is_not_trusted(tmp_path):
    path = tmp_path / "parens.py"
    path.write_text(SEPARATE)
    suggestion = CompletionEngine(ScriptedBackend([WITH_ELIF])).complete(
        request_at(path, 6, 0, context="local", candidates=1, multiline="always"))
    assert suggestion.text == "            current.append(c)"


def test_a_trusted_end_that_breaks_the_code_below_falls_back_to_the_block_rules():
    # Qwen 1.5B on HumanEval/9: after the one-line hole it writes its own `elif` and the
    # function's last lines again, ending the function before the `else:` below.
    prefix = ("def rolling_max(numbers):\n    running_max = None\n    result = []\n    for n in numbers:\n"
              "        if running_max is None:\n")
    suffix = ("\n        else:\n            running_max = max(running_max, n)\n\n"
              "        result.append(running_max)\n\n    return result\n")
    raw = ("            running_max = n\n        elif n > running_max:\n            running_max = n\n\n"
           "        result.append(running_max)\n\n    return result")
    options = dict(language="python", prefix=prefix, suffix=suffix, mode="multi")
    assert suggestion_from(raw, model_ended=True, **options) == "            running_max = n"
    kept = "            running_max = n\n            result.append(n)"  # parses with the code below: kept
    assert suggestion_from(kept, model_ended=True, **options) == kept
    assert suggestion_from(kept, model_ended=False, **options) == kept
