"""Prompt formats, chosen from the model's own vocabulary.

Every piece of file text is tokenized with special tokens disabled and the control
ids are spliced in as ids, so text in a file can never act as a control token.
Each format lays a prompt out as: the stable part (repository name, other files),
then the part that changes with every keystroke (the current file around the
cursor), so llama.cpp's KV cache reuses the stable part across requests.

FIM formats also take a ``middle``: the text typed into the hole so far, placed after
the middle marker, where the model continues it. The hole then starts at a line
start before the cursor instead of at the cursor, so typing on that line only
appends to the prompt; with the typed text at the end of the prefix, the suffix
(which follows the prefix) would be evaluated again at every keystroke.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from coder.models.backend import ModelInfo
from coder.prompt_templates import render

Tokenize = Callable[[str], list[int]]  # file text -> ids, special tokens disabled

LINE_COMMENTS = {"python": "#", "bash": "#", "text": "#"}


def line_comment(language: str) -> str:
    return LINE_COMMENTS.get(language, "//")


def file_header(language: str, path: str) -> str:
    """The line that names a file in formats without a file-separator token."""
    return render("completion/file_header", comment=line_comment(language), path=path)


@dataclass(frozen=True)
class Snippet:
    """Text from another file placed before the current one."""

    path: str
    text: str


@dataclass(frozen=True)
class RenderedPrompt:
    ids: list[int]
    stable_tokens: int  # how many leading ids do not change while the user types here


@dataclass(frozen=True)
class PromptFormat:
    name: str
    uses_suffix: bool
    # Control ids by role; what each format needs is checked in select_format.
    ids: dict

    def render(
        self,
        tokenize: Tokenize,
        *,
        bos: list[int],
        repo: str,
        language: str,
        snippets: Sequence[Snippet],
        snippet_ids: Sequence[list[int]],
        path: str,
        prefix: str,
        suffix: str,
        middle_ids: Sequence[int] = (),
    ) -> RenderedPrompt:
        """``middle_ids``: the ids of the text typed into the hole (FIM formats only;
        a prefix-only format gets it as the end of ``prefix``)."""
        if middle_ids and not self.uses_suffix:
            raise ValueError(f"the {self.name} format has no middle: put the typed text in the prefix")
        render = getattr(self, f"_render_{self.name.replace('-', '_')}")
        stable, changing = render(tokenize, repo, language, snippets, snippet_ids, path, prefix, suffix)
        return RenderedPrompt(bos + stable + changing + list(middle_ids), len(bos) + len(stable))

    # Each renderer returns (stable ids, per-keystroke ids). snippet_ids[i] are the
    # ids of snippet i as this format renders it (see snippet_text), cached by caller.

    def snippet_text(self, snippet: Snippet, language: str) -> str:
        if self.name in ("qwen-repo", "starcoder"):
            return f"{snippet.path}\n{snippet.text.rstrip()}\n"
        return f"{file_header(language, snippet.path)}{snippet.text.rstrip()}\n\n"

    def _render_qwen_repo(self, tokenize, repo, language, snippets, snippet_ids, path, prefix, suffix):
        # With no other file to show: Qwen's file-level FIM, nothing before it. With
        # other files: each under `<|file_sep|>`, then the current file's path and
        # FIM. Qwen's `<|repo_name|>` line is left out: with it Qwen2.5-Coder-0.5B-
        # Instruct takes the cursor for the end of the file and ignores the suffix
        # (the empty line before a loop's body gets `return count` and a new
        # function); even a lone path line before the FIM turned a right HumanEval
        # line wrong (`if key.isupper():` became `return False`, HumanEval/95), so
        # it only comes with the files it separates (there it still lets the model
        # use a name from another file). The price: at `return|` in `def add(a, b):`
        # plain FIM ends at once where the path line got ` a + b`.
        ids = self.ids
        stable: list[int] = []
        if ids.get("file_sep") is not None and snippet_ids:
            for piece in snippet_ids:
                stable += [ids["file_sep"]] + piece
            stable += [ids["file_sep"]] + tokenize(f"{path}\n")
        changing = [ids["fim_prefix"]] + tokenize(prefix) + [ids["fim_suffix"]] + tokenize(suffix) + [ids["fim_middle"]]
        return stable, changing

    def _render_starcoder(self, tokenize, repo, language, snippets, snippet_ids, path, prefix, suffix):
        ids = self.ids
        stable: list[int] = []
        if ids.get("repo_name") is not None:
            stable += [ids["repo_name"]] + tokenize(repo)
        if ids.get("file_sep") is not None:
            for piece in snippet_ids:
                stable += [ids["file_sep"]] + piece
            stable += [ids["file_sep"]] + tokenize(f"{path}\n")
        changing = [ids["fim_prefix"]] + tokenize(prefix) + [ids["fim_suffix"]] + tokenize(suffix) + [ids["fim_middle"]]
        return stable, changing

    def _render_deepseek(self, tokenize, repo, language, snippets, snippet_ids, path, prefix, suffix):
        ids = self.ids
        stable = [i for piece in snippet_ids for i in piece] + tokenize(file_header(language, path))
        changing = [ids["fim_prefix"]] + tokenize(prefix) + [ids["fim_suffix"]] + tokenize(suffix) + [ids["fim_middle"]]
        return stable, changing

    def _render_codellama(self, tokenize, repo, language, snippets, snippet_ids, path, prefix, suffix):
        ids = self.ids
        stable = [i for piece in snippet_ids for i in piece]
        # CodeLlama's markers carry their own leading space ("▁<PRE>"); the model saw
        # "<PRE> {prefix} <SUF>{suffix} <MID>" in training.
        changing = [ids["fim_prefix"]] + tokenize(" " + prefix) + [ids["fim_suffix"]] + tokenize(" " + suffix) + [ids["fim_middle"]]
        return stable, changing

    def _render_prefix_only(self, tokenize, repo, language, snippets, snippet_ids, path, prefix, suffix):
        # A base model without FIM continues a file: other files come first as if
        # concatenated before this one, each under a comment naming its path.
        stable = [i for piece in snippet_ids for i in piece] + tokenize(file_header(language, path))
        return stable, tokenize(prefix)


CODELLAMA_TEXTS = ("▁<PRE>", "▁<SUF>", "▁<MID>")
DEEPSEEK_TEXTS = ("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>")
STARCODER_TEXTS = ("<fim_prefix>", "<fim_suffix>", "<fim_middle>")
QWEN_TEXTS = ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")


def select_format(info: ModelInfo) -> PromptFormat:
    """The format the model was trained on, judged by the control tokens it has."""
    specials = info.specials
    by_text = specials.by_text

    def fim_ids(texts):
        if all(t in by_text for t in texts):
            return dict(zip(("fim_prefix", "fim_suffix", "fim_middle"), (by_text[t] for t in texts)))
        return None

    extra = {"file_sep": specials.file_sep, "repo_name": specials.repo_name}
    for name, texts in (("qwen-repo", QWEN_TEXTS), ("starcoder", STARCODER_TEXTS), ("deepseek", DEEPSEEK_TEXTS), ("codellama", CODELLAMA_TEXTS)):
        ids = fim_ids(texts)
        if ids is not None:
            return PromptFormat(name, True, {**ids, **extra})
    if specials.has_fim:  # FIM ids llama.cpp found in metadata under other names
        ids = {"fim_prefix": specials.fim_prefix, "fim_suffix": specials.fim_suffix, "fim_middle": specials.fim_middle}
        return PromptFormat("qwen-repo", True, {**ids, **extra})
    return PromptFormat("prefix-only", False, {})
