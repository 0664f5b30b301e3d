"""Apply a GBNF grammar lazily: check the chosen token first, mask only on rejection.

Why: llama.cpp's grammar sampler tests every vocabulary entry against the grammar on
every step. With Gemma's 262k-token vocabulary that costs ~100 ms per token on two
cores whatever the grammar (even ``root ::= .*``), 2-3x the decode itself (see
bench/bench_name_grammar.py). But the model usually wants a token the grammar allows
anyway: checking that one token costs microseconds, and only when it is rejected do
we pay for the full-vocabulary mask. llama.cpp's own ``common_sampler`` does the
same. This helper is for a generation loop that owns its logits (the llama worker);
``Llama.generate(grammar=...)`` always pays the full cost.

Usage in a decode loop::

    lazy = LazyGrammar(llm, grammar_text)
    ...
    logits = current_logits(llm)             # numpy view of the last row
    token = pick(logits)                     # argmax or your sampler
    if not lazy.allows(token):
        token = pick(lazy.mask(logits))      # full pass only now
    lazy.accept(token)
    ...
    lazy.close()
"""

from __future__ import annotations

import ctypes

import numpy as np

# llama_token_data is {int32 id; float logit; float p} in C layout.
_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)], align=True)


class LazyGrammar:
    """One grammar state for one generation over one model's vocabulary."""

    def __init__(self, llm, grammar: str, root: str = "root"):
        import llama_cpp

        self._llama_cpp = llama_cpp
        self._n_vocab = llm.n_vocab()
        self._vocab = llm._model.vocab
        self._sampler = llama_cpp.llama_sampler_init_grammar(
            llm._model.vocab, grammar.encode("utf-8"), root.encode("utf-8")
        )
        if not self._sampler:
            raise ValueError("llama.cpp could not parse the grammar")
        self._one = (llama_cpp.llama_token_data * 1)()
        self._full = np.zeros(self._n_vocab, dtype=_TOKEN_DATA)
        self._full["id"] = np.arange(self._n_vocab, dtype=np.int32)

    def _apply(self, data_pointer, size: int) -> None:
        llama_cpp = self._llama_cpp
        array = llama_cpp.llama_token_data_array(
            data=ctypes.cast(data_pointer, ctypes.POINTER(llama_cpp.llama_token_data)),
            size=size,
            selected=-1,
            sorted=False,
        )
        llama_cpp.llama_sampler_apply(self._sampler, ctypes.byref(array))

    def allows(self, token: int) -> bool:
        """Whether the grammar accepts ``token`` next (cheap: one candidate)."""
        self._one[0].id = token
        self._one[0].logit = 0.0
        self._one[0].p = 0.0
        self._apply(self._one, 1)
        return self._one[0].logit != float("-inf")

    def mask(self, logits: np.ndarray) -> np.ndarray:
        """A copy of ``logits`` with every token the grammar rejects set to -inf."""
        self._full["logit"] = logits
        self._full["p"] = 0.0
        self._full["id"] = np.arange(self._n_vocab, dtype=np.int32)  # apply may reorder
        self._apply(self._full.ctypes.data, self._n_vocab)
        masked = np.full(self._n_vocab, -np.inf, dtype=np.float32)
        masked[self._full["id"]] = self._full["logit"]
        return masked

    def accept(self, token: int) -> None:
        """Advance the grammar past ``token`` (the one actually emitted).

        End-of-generation tokens are skipped: the generation ends there anyway, and
        llama.cpp aborts the process if a grammar accepts EOG before it is complete.
        Only pass tokens ``allows`` (or ``mask``) admitted: accepting a rejected
        token also aborts inside llama.cpp.
        """
        if self._llama_cpp.llama_vocab_is_eog(self._vocab, token):
            return
        self._llama_cpp.llama_sampler_accept(self._sampler, token)

    def close(self) -> None:
        if self._sampler:
            self._llama_cpp.llama_sampler_free(self._sampler)
            self._sampler = None

    def __enter__(self) -> "LazyGrammar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone already
            pass


def current_logits(llm) -> np.ndarray:
    """The last evaluated position's logits as a numpy view (no copy)."""
    import llama_cpp

    pointer = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
    return np.ctypeslib.as_array(pointer, shape=(llm.n_vocab(),))
