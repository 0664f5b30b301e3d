"""Grounded completions: the repository index decides which names the model may write.

    names = resolve_names(index, path, text, line, col, language)   # what is valid here
    hint = prompt_hint(names, language)                              # "# Reader members: ..."
    grammar = grammar_for(names, language)                           # GBNF or None
    ... generate with GenerationRequest(grammar=grammar) ...
    verdict = check_suggestion(output, names_context=names, index=index, path=path,
                               text=text, line=line, col=col, language=language)

Only what the resolver knows is enforced: unknown receivers, star imports, dynamic
attributes and unsupported languages give low confidence, no grammar, no flags.
"""

from coder.grounding.hallucination_check import CheckResult, check_suggestion
from coder.grounding.name_grammar import (
    IdentifierBoundary,
    first_identifier_grammar,
    grammar_for,
    identifier_boundary,
)
from coder.grounding.names import HIGH, LOW, NameInfo, NameSet
from coder.grounding.ranking import RankContext, prompt_hint, rank_names
from coder.grounding.resolver import Grounding, grounding_for, resolve_names

__all__ = [
    "CheckResult",
    "Grounding",
    "HIGH",
    "IdentifierBoundary",
    "LOW",
    "NameInfo",
    "NameSet",
    "RankContext",
    "check_suggestion",
    "first_identifier_grammar",
    "grammar_for",
    "grounding_for",
    "identifier_boundary",
    "prompt_hint",
    "rank_names",
    "resolve_names",
]
