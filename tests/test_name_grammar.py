"""The first-identifier grammar: its text, llama.cpp's parser, its semantics, and a
real constrained generation with the demo model.

Semantics are checked with llama.cpp's own grammar engine: a text is fed token by
token (the demo model's vocabulary) through LazyGrammar, so "accepted" means exactly
what the sampler would allow.
"""

from __future__ import annotations

import pytest

from coder.grounding import NameSet, first_identifier_grammar, grammar_for, identifier_boundary

# -- pure logic ------------------------------------------------------------------------------


def test_trie_grammar_shape():
    grammar = first_identifier_grammar(["read", "readline", "readlines", "write"], "re")
    lines = grammar.splitlines()
    assert lines[0] == "root ::= n0 rest"
    assert lines[1] == "rest ::= ( [^a-zA-Z0-9_] .* )?"
    # "write" does not start with the partial; the rest of "read..." is shared.
    assert "write" not in grammar and "rite" not in grammar
    assert '"ad"' in grammar and '"line"' in grammar and '"s"' in grammar


def test_partial_that_is_a_whole_name_allows_stopping_there():
    grammar = first_identifier_grammar(["x", "xs"], "x")
    assert '""' in grammar  # the empty alternative: `x` itself


def test_no_matching_name_gives_none():
    assert first_identifier_grammar(["alpha", "beta"], "z") is None
    assert first_identifier_grammar([], "") is None


def test_tail_none_ends_at_the_name():
    grammar = first_identifier_grammar(["alpha", "beta"], tail="none")
    assert grammar.splitlines()[0] == "root ::= n0"
    assert "rest" not in grammar and ".*" not in grammar


def test_flat_shape_is_one_alternation():
    grammar = first_identifier_grammar(["alpha", "beta"], shape="flat")
    assert 'name ::= "alpha" | "beta"' in grammar


def test_literals_are_escaped():
    grammar = first_identifier_grammar(['a"b', "c\\d", "tab\there", "ñame"])
    assert '"a\\"b"' in grammar
    assert '"c\\\\d"' in grammar
    assert '"tab\\x09here"' in grammar
    assert '"ñame"' in grammar


def test_javascript_identifier_characters():
    grammar = first_identifier_grammar(["$el", "#count"], language="javascript")
    assert "[^a-zA-Z0-9_$#]" in grammar


def test_assignable_allows_a_new_assigned_name():
    grammar = first_identifier_grammar(["total"], assignable=True)
    assert grammar.splitlines()[0] == "root ::= n0 rest | assign"
    assert 'assign ::= [a-zA-Z_] [a-zA-Z0-9_]*' in grammar
    only_new = first_identifier_grammar([], "to", assignable=True)
    assert only_new.splitlines()[0] == "root ::= assign"


def test_bad_options_raise():
    with pytest.raises(ValueError):
        first_identifier_grammar(["a"], tail="all")
    with pytest.raises(ValueError):
        first_identifier_grammar(["a"], shape="tree")


def test_identifier_boundary():
    boundary = identifier_boundary("python")
    assert boundary.first_identifier_end("read(3)") == 4
    assert boundary.first_identifier_end("read") is None  # may still continue
    assert boundary.first_identifier_end("(x)") == 0
    assert boundary.first_identifier("line()", partial="read") == "readline"
    js = identifier_boundary("javascript")
    assert js.first_identifier_end("$el.x") == 3
    assert identifier_boundary("python").first_identifier_end("$el.x") == 0


def _names(kind="member", confidence="high", partial="", names=("read", "readline"), assignable=False):
    return NameSet(list(names), confidence, kind, "r" if kind == "member" else None, partial,
                   keywords=("return", "not") if kind == "scope" else (), assignable=assignable)


def test_grammar_for_policy():
    assert grammar_for(_names(confidence="low"), "python") is None
    assert grammar_for(_names(), "python").startswith("root ::= n0 rest")
    assert grammar_for(_names(kind="scope"), "python") is None  # nothing typed yet
    scoped = grammar_for(_names(kind="scope", partial="re", names=("read", "result")), "python")
    assert '"turn"' in scoped  # the keyword `return` is allowed too
    assert "assign" in grammar_for(_names(assignable=True), "python")


# -- llama.cpp -------------------------------------------------------------------------------

MANY = [f"name_{i}_v{i * 7}" for i in range(500)]


@pytest.fixture(scope="module")
def vocab_llm(demo_model):
    llama_cpp = pytest.importorskip("llama_cpp")
    llm = llama_cpp.Llama(str(demo_model), vocab_only=True, verbose=False)
    yield llm
    llm.close()


def parses(llm, grammar: str) -> bool:
    import llama_cpp

    sampler = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, grammar.encode(), b"root")
    if not sampler:
        return False
    llama_cpp.llama_sampler_free(sampler)
    return True


@pytest.mark.model
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"tail": "none"},
        {"shape": "flat"},
        {"assignable": True},
        {"language": "javascript", "assignable": True},
        {"partial": "name_"},
    ],
    ids=["trie", "name-only", "flat", "assignable", "js", "partial"],
)
@pytest.mark.parametrize("count", [1, 10, 500])
def test_llama_cpp_parses_the_grammar(vocab_llm, options, count):
    options = dict(options)
    partial = options.pop("partial", "")
    grammar = first_identifier_grammar(MANY[:count] + ["_x", "a1_b2", "Ünï"], partial, **options)
    assert parses(vocab_llm, grammar)


@pytest.mark.model
def test_the_parse_check_can_fail(vocab_llm):
    assert not parses(vocab_llm, 'root ::= "unterminated')
    assert not parses(vocab_llm, "root ::= rule_with_underscore\nrule_with_underscore ::= \"a\"")


def accepts(llm, grammar: str, text: str) -> bool:
    """Would llama.cpp let the model write exactly ``text`` and stop?"""
    from coder.grounding.lazy_grammar import LazyGrammar

    with LazyGrammar(llm, grammar) as lazy:
        for token in llm.tokenize(text.encode(), add_bos=False, special=False):
            if not lazy.allows(token):
                return False
            lazy.accept(token)
        return lazy.allows(llm.token_eos())


@pytest.mark.model
def test_grammar_semantics_in_llama_cpp(vocab_llm):
    grammar = first_identifier_grammar(["read", "readline", "readlines", "write", "data_2"], "re")
    assert accepts(vocab_llm, grammar, "ad")
    assert accepts(vocab_llm, grammar, "adline()\nprint(x)\n")
    assert accepts(vocab_llm, grammar, "adlines(10) + [1]")
    assert not accepts(vocab_llm, grammar, "adx()")  # not a name
    assert not accepts(vocab_llm, grammar, "write()")  # does not continue the partial
    assert not accepts(vocab_llm, grammar, "")  # something must be written
    name_only = first_identifier_grammar(["read", "readline"], "re", tail="none")
    assert accepts(vocab_llm, name_only, "adline")
    assert not accepts(vocab_llm, name_only, "adline()")


@pytest.mark.model
def test_assignable_semantics_in_llama_cpp(vocab_llm):
    grammar = first_identifier_grammar(["count"], assignable=True)
    assert accepts(vocab_llm, grammar, "count += 1")
    assert accepts(vocab_llm, grammar, "total = 0")
    assert accepts(vocab_llm, grammar, "total: int = 0")
    assert not accepts(vocab_llm, grammar, "total + 1")
    assert not accepts(vocab_llm, grammar, "total == 0")
    assert accepts(vocab_llm, grammar, "top, self.left = pair")  # one target of a tuple
    name_only = first_identifier_grammar([], "to", tail="none", assignable=True)
    assert accepts(vocab_llm, name_only, "p =") and accepts(vocab_llm, name_only, "p,")
    assert not accepts(vocab_llm, name_only, "p, x")


# -- a real constrained generation ------------------------------------------------------------


@pytest.fixture(scope="module")
def llm(demo_model):
    llama_cpp = pytest.importorskip("llama_cpp")
    model = llama_cpp.Llama(str(demo_model), n_ctx=512, n_threads=2, verbose=False)
    yield model
    model.close()


PROMPT = "class Box:\n    def open_lid(self):\n        pass\n\n    def close_lid(self):\n        pass\n\n\nbox = Box()\nbox."


def generate(llm, grammar: str | None, tokens: int = 8, lazy: bool = False) -> str:
    from coder.grounding.lazy_grammar import LazyGrammar, current_logits

    llm.reset()
    llm.eval(llm.tokenize(PROMPT.encode(), add_bos=True, special=False))
    out = []
    constraint = LazyGrammar(llm, grammar) if grammar else None
    try:
        for _ in range(tokens):
            logits = current_logits(llm)
            token = int(logits.argmax())
            if constraint is not None and (not lazy or not constraint.allows(token)):
                token = int(constraint.mask(logits).argmax())
            if token == llm.token_eos():
                break
            if constraint is not None:
                constraint.accept(token)
            out.append(token)
            llm.eval([token])
    finally:
        if constraint is not None:
            constraint.close()
    return llm.detokenize(out).decode("utf-8", errors="replace")


@pytest.mark.model
def test_constrained_generation_starts_with_a_valid_name(llm):
    names = ["weigh_contents", "paint_blue"]  # names the model would not pick on its own
    free = generate(llm, None, tokens=4)
    assert not free.startswith(tuple(names))
    for lazy in (False, True):
        text = generate(llm, first_identifier_grammar(names, tail="none"), tokens=10, lazy=lazy)
        first = identifier_boundary("python").first_identifier(text)
        assert first in names and text == first, text  # the name, then EOS


@pytest.mark.model
def test_lazy_grammar_matches_full_masking(llm):
    grammar = first_identifier_grammar(["open_lid", "close_lid", "shake"])
    assert generate(llm, grammar, tokens=8, lazy=True) == generate(llm, grammar, tokens=8, lazy=False)


@pytest.mark.model
def test_grammar_through_llama_generate(llm):
    """The path the llama worker uses: Llama.generate(grammar=LlamaGrammar)."""
    import llama_cpp

    grammar = llama_cpp.LlamaGrammar.from_string(first_identifier_grammar(["paint_blue"], tail="none"), verbose=False)
    out = []
    tokens = llm.tokenize(PROMPT.encode(), add_bos=True, special=False)
    for token in llm.generate(tokens, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0, grammar=grammar):
        if llama_cpp.llama_vocab_is_eog(llm._model.vocab, token) or len(out) > 8:
            break
        out.append(token)
    assert llm.detokenize(out).decode() == "paint_blue"
