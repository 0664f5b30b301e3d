"""Grounding for one completion: which names are valid at the cursor, the grammar
that makes the model start with one of them, and the check of what it wrote.

Only what the resolver knows with high confidence is enforced (see coder.grounding);
elsewhere generation is free and nothing is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GROUNDED_LANGUAGES = ("python", "javascript", "typescript", "tsx")
# off: free generation; hint: the best valid names in the prompt; on: hint, the first
# identifier constrained to the valid names, and every suggestion checked.
GROUNDING_MODES = ("off", "hint", "on")


@dataclass
class GroundingPlan:
    names: object  # coder.grounding.NameSet
    grammar: str | None
    hint: str | None  # one comment line naming the best candidates, for the prompt
    report: dict = field(default_factory=dict)


def plan_grounding(index, path: str, text: str, line: int, column: int, language: str) -> GroundingPlan | None:
    if index is None or language not in GROUNDED_LANGUAGES:
        return None
    from coder.grounding import grammar_for, prompt_hint, resolve_names

    names = resolve_names(index, path, text, line, column, language)
    grammar = grammar_for(names, language)
    # Low-confidence sets may miss names or hold wrong ones: not worth prompt tokens.
    hint = (prompt_hint(names, language) or None) if names.is_high else None
    report = {
        "confidence": names.confidence,
        "kind": names.kind,
        "receiver": names.receiver,
        "valid_names": len(names.names),
        "constrained": grammar is not None,
        "hint": hint,
        "invalid_names": [],
    }
    return GroundingPlan(names, grammar, hint, report)


def first_token_bias(plan: GroundingPlan, prefix: str, suffix: str, tokenize) -> tuple[tuple[int, float], ...]:
    """Logit biases for how the constrained name starts: the members the receiver
    uses below the cursor (coder.grounding.name_prior) and the members named like
    what the line binds the value to (coder.grounding.target_prior); a token both
    favour gets both."""
    from coder.grounding import name_prior, target_prior

    line_before_cursor = prefix[prefix.rfind("\n") + 1:]
    total: dict[int, float] = {}
    for token, bias in name_prior.first_token_bias(plan.names, suffix, tokenize) + target_prior.first_token_bias(
        plan.names, line_before_cursor, tokenize
    ):
        total[token] = total.get(token, 0.0) + bias
    return tuple(sorted(total.items()))


def check_grounded(plan: GroundingPlan, suggestion: str, index, path: str, text: str, line: int, column: int, language: str) -> bool:
    """True when the suggestion uses no name the resolver knows to be invalid."""
    from coder.grounding import check_suggestion

    verdict = check_suggestion(
        suggestion, names_context=plan.names, index=index, path=path, text=text, line=line, col=column, language=language
    )
    plan.report["invalid_names"] = list(verdict.invalid_names)
    return verdict.valid
