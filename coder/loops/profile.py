"""Where the time goes: the line profile of the current best, as the model reads it.

EffiLearner's finding is that a model told which lines take the time improves code far
more than one told only "make it faster"; so the feedback is the function's own lines
with their hit counts and share of the time, the hottest marked.
"""

from __future__ import annotations


def format_profile(profile: dict | None, function_source: str, first_line: int, *, hottest: int = 3) -> str:
    """The function's lines annotated with hits and time share; first_line is the
    1-based file line of the function's first line (decorators included)."""
    if not profile or not profile.get("lines"):
        return ""
    lines = {int(k): v for k, v in profile["lines"].items()}
    total = sum(spent for _, spent in lines.values()) or 1.0
    ranked = sorted(lines, key=lambda k: lines[k][1], reverse=True)[:hottest]
    out = ["  hits   time  line"]
    for offset, text in enumerate(function_source.split("\n")):
        number = first_line + offset
        hits, spent = lines.get(number, (0, 0.0))
        mark = " <-- hot" if number in ranked and spent / total >= 0.1 else ""
        share = f"{100 * spent / total:5.1f}%" if hits else "      "
        out.append(f"{hits if hits else '':>6} {share}  {text}{mark}")
    return "\n".join(out)
