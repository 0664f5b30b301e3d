"""From raw model output to the suggestion a user sees.

Rules, in order:
- single-line mode keeps the first line; multi-line mode keeps lines up to the end of
  the enclosing block: for indentation languages the first line indented less than
  the block body, for brace languages the line where the braces opened before the
  cursor would close more than the suggestion opened (in Python a line that starts
  by closing a bracket left open above, a dict's `}`, is part of its statement);
- text the suffix already has is trimmed: on the cursor's line, the longest end of
  the suggestion that starts the rest of the line (a `)` or `):` the editor already
  closed); below it, trailing lines that repeat the lines after the cursor;
- in the middle of a block (indentation languages), a suggestion that leaves the
  block (`return`, `raise`, ...) while the code below goes on in it is writing its own
  version of that code: only its first statement is kept; and the suggestion ends
  where the next line below can follow it (deeper than a header, level with or
  shallower than a statement, shallower than a `return`);
- where a model that sees the suffix ended the hole itself, the block rules give way
  to its end, unless (Python) it wrote on past the definition the code below belongs
  to (its example calls and tests after the hole): that is no end of the hole, and
  streaming stops there;
- closers with no opener in the suggestion are dropped from its end when the rest of
  the line already supplies them;
- nothing made of whitespace, nothing that repeats the line above.
"""

from __future__ import annotations

OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {v: k for k, v in OPENERS.items()}
INDENT_LANGUAGES = {"python", "text", "bash"}


def decide_mode(language: str, prefix: str, suffix: str, *, sees_suffix: bool = True) -> str:
    """Multi-line on an empty line (the start of a block or of a statement), else single.

    A model that cannot see the code after the cursor (prefix-only) only gets the
    rest of the block where there is no rest: at the end of a block or of the file.
    In the middle of one, it writes its own version of the lines below, which the
    suffix already holds (Gemma, HumanEval single-line infilling: pass@1 fell from
    25% to 15% with whole blocks)."""
    current = prefix.rsplit("\n", 1)[-1]
    rest = suffix.split("\n", 1)[0]
    if current.strip() or rest.strip():
        return "single"
    if not sees_suffix and not _at_block_end(language, prefix, suffix):
        return "single"
    return "multi"


def _at_block_end(language: str, prefix: str, suffix: str) -> bool:
    """Nothing of the cursor's block follows it: the next line of code is shallower
    (indentation languages), closes a bracket, or there is none."""
    following = next((l for l in suffix.split("\n")[1:] if l.strip()), None)
    if following is None:
        return True
    if language in INDENT_LANGUAGES:
        return _indent(following) < _block_indent(prefix, suffix)
    return following.strip()[0] in CLOSERS


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _block_indent(prefix: str, suffix: str) -> int:
    """The indentation of the block the cursor's line belongs to."""
    current = prefix.rsplit("\n", 1)[-1]
    previous = next((l for l in reversed(prefix.split("\n")[:-1]) if l.strip()), "")
    if current.strip():
        body = _indent(current)
    else:
        body = len(current)
        following = next((l for l in suffix.split("\n")[1:] if l.strip()), None)
        if previous.strip() and following is not None:
            # An empty line between two lines of code belongs to the block they are
            # both in, whatever column the cursor is at (an editor without
            # auto-indent, a line opened at column 0): the shallower of the two.
            body = max(body, min(_indent(previous), _indent(following)))
    # Deeper after an opener.
    if previous.rstrip().endswith(":") and body <= _indent(previous):
        body = _indent(previous) + 4
    return body


def _suggestion_block_indent(lines: list[str], prefix: str, suffix: str) -> int:
    body = _block_indent(prefix, suffix)
    if not prefix.rsplit("\n", 1)[-1] and lines[0].strip():
        # At column 0 of an empty line the cursor says nothing about the block:
        # the suggestion's first line does (an indented line continues the block
        # above, and a new top-level definition after it is not part of it).
        body = max(body, _indent(lines[0]))
    return body


def _closes_open_bracket(line: str, prefix: str, kept: list[str]) -> bool:
    """A Python line that starts by closing a bracket the code before it left open (a
    dict's `}` at the statement's indentation: Qwen 0.5B and 1.5B, HumanEval/19)
    belongs to that statement, not to a shallower block. (In Python brackets never
    delimit blocks; in bash a `}` does, so this is Python's only.)"""
    if not line.strip() or line.strip()[0] not in CLOSERS:
        return False
    return _bracket_depth("\n".join(prefix.split("\n")[-60:] + kept)) > 0


def _truncate_block_indent(lines: list[str], prefix: str, suffix: str = "", language: str = "python") -> list[str]:
    body = _suggestion_block_indent(lines, prefix, suffix)
    kept = [lines[0]]
    for line in lines[1:]:
        if line.strip() and _indent(line) < body:
            if not (language == "python" and _closes_open_bracket(line, prefix, kept)):
                break
        kept.append(line)
    return kept


LEAVING_WORDS = ("return", "raise", "break", "continue")


def _leaves_block(line: str) -> bool:
    word = line.strip().split(None, 1)[0] if line.strip() else ""
    return word.split("(", 1)[0] in LEAVING_WORDS


def _code_below(suffix: str) -> str | None:
    """The first line of code after the cursor's line, or None."""
    return next((l for l in suffix.split("\n")[1:] if l.strip()), None)


def _first_statement_where_it_leaves(lines: list[str], prefix: str, suffix: str) -> list[str]:
    """In the middle of a block, a suggestion that leaves the block at the block's own
    indentation (`return`, `raise`, `break`, `continue`) where the code below goes on
    in the same block would make that code unreachable: the model has written its own
    version of it (Qwen 0.5B on HumanEval/132: the missing `cnt = 0`, then a loop and
    a `return` of its own where the suffix has the real ones). Its first statement is
    what the hole wanted. A copy of the very next line does not count: that is the
    model running into the code below once the hole is filled, cut later."""
    following = _code_below(suffix)
    if following is None or len(lines) < 2:
        return lines
    body = _suggestion_block_indent(lines, prefix, suffix)
    if _indent(following) < body:
        return lines  # the block ends at the cursor: the suggestion may end it
    if not any(l.strip() and _indent(l) == body and _leaves_block(l) and l.strip() != following.strip()
               for l in lines[1:]):
        return lines
    first = [lines[0]]
    for line in lines[1:]:
        if line.strip() and _indent(line) <= body and line.strip()[0] not in CLOSERS:
            break
        first.append(line)
    return first


def _end_where_the_code_below_fits(lines: list[str], prefix: str, suffix: str) -> list[str]:
    """In the middle of a block, end the suggestion where the next line below can
    follow it: deeper than a last line that opens a block, not deeper than one that
    does not, and not level with one that leaves its block (HumanEval/55 on the 0.5B:
    `if n < 0:` above `return 0`, not `if n < 0:` and a `raise` of its own)."""
    following = _code_below(suffix)
    if following is None or len(lines) < 2:
        return lines
    if _indent(following) < _suggestion_block_indent(lines, prefix, suffix):
        return lines
    # The first line starts at the cursor: its indentation is the cursor line's.
    placed = [prefix.rsplit("\n", 1)[-1] + lines[0]] + lines[1:]
    for end in range(len(lines), 0, -1):
        if placed[end - 1].strip() and _can_follow(placed[end - 1], following):
            return lines[:end]
    return lines  # nothing fits: the checks after post-processing judge it


def _without_a_header_left_open(lines: list[str], suffix: str) -> list[str]:
    """Drop a last line that opens a block the code below does not fill (Qwen 1.5B,
    HumanEval/110: `return "YES"`, then an `else:` of its own above the `return "NO"`
    that ends the function): the model went on into a branch the suffix never has."""
    following = _code_below(suffix)
    lines = list(lines)
    while lines and not lines[-1].strip():
        lines.pop()
    while len(lines) > 1 and lines[-1].rstrip().endswith(":") and (
            following is None or _indent(following) <= _indent(lines[-1])):
        lines.pop()
        while lines and not lines[-1].strip():
            lines.pop()
    return lines


def _can_follow(last: str, following: str) -> bool:
    """Whether the line following can come right after the line last."""
    if last.rstrip().endswith(":"):
        return _indent(following) > _indent(last)
    if _leaves_block(last):
        return _indent(following) < _indent(last)
    return _indent(following) <= _indent(last)


def _bracket_depth(text: str) -> int:
    depth = 0
    for char in text:
        if char in OPENERS:
            depth += 1
        elif char in CLOSERS:
            depth -= 1
    return depth


def _truncate_block_braces(lines: list[str]) -> list[str]:
    depth = 0
    kept = []
    for line in lines:
        depth += _bracket_depth(line)
        if depth < 0:
            # This line closes the block the cursor is in: the editor has that closer.
            break
        kept.append(line)
    return kept


def block_ended(raw: str, *, language: str, prefix: str, suffix: str = "", model_may_end: bool = False) -> bool:
    """While a multi-line suggestion streams: has it already passed the end of the
    block post-processing keeps, or started copying the code below the cursor? Then
    the rest need not be generated. A model that sees the suffix may end the hole by
    itself (model_may_end): in an indentation language only a copy of the code below
    stops it, or (Python) a line outside the definition the code below belongs to,
    since its own end is trusted over the block rules (see postprocess)."""
    lines = raw.split("\n")
    if not lines[-1].strip():
        lines.pop()  # a line's indentation is known once it has a character
    if len(lines) < 2:
        return False
    complete = lines if raw.endswith("\n") else lines[:-1]
    if model_may_end and language in INDENT_LANGUAGES:
        return _copies_the_code_below(complete, suffix) or _runs_on_past_the_definition(complete, language, prefix, suffix)
    if len(_cut_where_the_suffix_starts(complete, suffix)) < len(complete):
        return True
    if language in INDENT_LANGUAGES:
        return len(_truncate_block_indent(lines, prefix, suffix, language)) < len(lines)
    return len(_truncate_block_braces(complete)) < len(complete)


def _trim_line_overlap(text: str, rest_of_line: str) -> str:
    """Drop the end of text that the rest of the cursor's line already holds."""
    rest = rest_of_line.rstrip()
    if not rest:
        return text
    stripped = text.rstrip()
    for size in range(min(len(stripped), len(rest)), 0, -1):
        if rest.startswith(stripped[-size:]) and (size > 1 or stripped[-1] in CLOSERS or stripped[-1] in ":;,\"'"):
            return stripped[:-size]
    return text


def _trim_unmatched_closers(text: str, line_before: str, rest_of_line: str) -> str:
    """Drop closers at the end that leave the whole line closing more than it opens."""
    # Only a closer the rest of the line holds again: a lone `}` may close what an
    # earlier line opened.
    while text and text[-1] in CLOSERS and text[-1] in rest_of_line and _bracket_depth(line_before + text + rest_of_line) < 0:
        text = text[:-1].rstrip()
    return text


def _runs_into(lines: list[str], below: list[str]) -> bool:
    """The non-blank lines agree with the first lines of below, the last one may be
    the start of its line (generation stopped mid-line)."""
    written = [l.strip() for l in lines if l.strip()]
    for number, line in enumerate(written[: len(below)]):
        last = number == len(written) - 1
        if line != below[number] and not (last and below[number].startswith(line)):
            return False
    return bool(written)


def _cut_where_the_suffix_starts(lines: list[str], suffix: str) -> list[str]:
    """Cut the suggestion at the line from which it writes what the suffix already
    holds: the model went past the hole and copied the code below (whether it then
    goes on copying it or writes its own version of the rest). A line of closers
    only counts when the lines after it agree with the code below too: a `}` may
    close the suggestion's own block."""
    below_lines = [l.rstrip() for l in suffix.split("\n")[1:] if l.strip()]
    below = [l.strip() for l in below_lines]
    if not below:
        return lines
    for start in range(1, len(lines)):
        if _rewrites(lines[start], below_lines):
            return lines[:start]
        if lines[start].strip() != below[0]:
            continue
        if any(c.isalnum() for c in below[0]):
            return lines[:start]
        rest = [l for l in lines[start:] if l.strip()]
        if len(rest) > 1 and len(below) > 1 and _runs_into(rest, below):
            return lines[:start]
    return lines


def _cut_a_copied_start_of_suffix(lines: list[str], suffix: str) -> list[str]:
    """Cut the end of the suggestion when, from some line to its end, it is the start of
    the code below: a model that ended by itself wrote the hole and then those lines
    again. Lines like the ones below elsewhere in it are its own (HumanEval/1 on the
    1.5B: an `elif` branch whose body repeats the lines of the `if` branch below it)."""
    below = [l.strip() for l in suffix.split("\n")[1:] if l.strip()]
    if not below:
        return lines
    for start in range(1, len(lines)):
        rest = [l.strip() for l in lines[start:] if l.strip()]
        if rest and rest == below[: len(rest)] and any(c.isalnum() for c in "".join(rest)):
            return lines[:start]
    return lines


DEFINITION_HEADERS = ("def ", "async def ", "class ")
DEFINITION_LOOKBACK = 400  # lines of the prefix searched for the enclosing definition


def _enclosing_definition_indent(prefix: str, suffix: str) -> int | None:
    """Python: the indentation of the innermost `def` or `class` the cursor is in;
    None at the top level (or where a line of a string at column 0 hides it)."""
    level = _block_indent(prefix, suffix)
    for line in reversed(prefix.split("\n")[:-1][-DEFINITION_LOOKBACK:]):
        if not line.strip() or _indent(line) >= level:
            continue
        if line.lstrip().startswith(DEFINITION_HEADERS):
            return _indent(line)
        level = _indent(line)
        if level == 0:
            return None
    return None


def _runs_on_past_the_definition(lines: list[str], language: str, prefix: str, suffix: str) -> bool:
    """Python: a line after the first is no deeper than the definition the cursor is
    in, while the code below still belongs to that definition. The model has not
    ended the hole there: it wrote on to the end of the function (its own version of
    the code below, or a copy) and then code of its own outside it, example calls or a
    test function, to the token limit (Qwen 0.5B on HumanEval/105, /117, /74, /123:
    `return new_arr`, then `# Test cases` and prints at column 0). Its end is not
    trusted, and nothing after that line can be kept: the code below could not
    follow it."""
    return language == "python" and _where_it_leaves_the_definition(lines, prefix, suffix) is not None


def _where_it_leaves_the_definition(lines: list[str], prefix: str, suffix: str) -> int | None:
    """The index of the line for _runs_on_past_the_definition, or None."""
    outer = _enclosing_definition_indent(prefix, suffix)
    following = _code_below(suffix)
    if outer is None or following is None or _indent(following) <= outer:
        return None
    context = prefix.split("\n")[-60:]
    for number in range(1, len(lines)):
        line = lines[number]
        if not line.strip() or _indent(line) > outer:
            continue
        before = "\n".join(context + lines[:number])
        if _bracket_depth(before) > 0 or (before.count('"""') + before.count("'''")) % 2:
            continue  # inside a bracket or a string: not a statement of its own
        return number
    return None


def _copies_the_code_below(lines: list[str], suffix: str) -> bool:
    """The last two complete lines are the first two lines of code below: the model
    has filled the hole and runs on into the suffix."""
    below = [l.strip() for l in suffix.split("\n")[1:] if l.strip()]
    written = [l.strip() for l in lines if l.strip()]
    if len(below) < 2 or len(written) < 3:
        return False
    return written[-2:] == below[:2]


REWRITE_LINES = 3  # how far below the cursor a copied line is looked for
REWRITE_SIMILARITY = 0.8


def _rewrites(line: str, below_lines: list[str]) -> bool:
    """The line is one of the next lines of code below, at their indentation, or a
    close variant of the very next one: the model went past the hole and writes its
    own version of what follows (Qwen 0.5B on HumanEval: the removed `}` then its
    own `return ' '.join(sorted(...))` where the suffix has the real one)."""
    import difflib

    text = line.strip()
    if not text or not any(c.isalnum() for c in text):
        return False
    indent = len(line) - len(line.lstrip())
    for number, other in enumerate(below_lines[:REWRITE_LINES]):
        if indent != len(other) - len(other.lstrip()):
            continue
        if text == other.strip():
            return True
        if number == 0 and difflib.SequenceMatcher(None, text, other.strip()).ratio() >= REWRITE_SIMILARITY:
            return True
    return False


def postprocess(raw: str, *, language: str, prefix: str, suffix: str, mode: str, model_ended: bool = False) -> str:
    """The suggestion from raw output. model_ended: a model that saw the suffix stopped
    by itself (its end-of-middle, not the token limit or a cut of ours). In an
    indentation language its end is kept and the block rules are skipped: Qwen's 1.5B
    ends holes well and the rules cut right answers (an `elif` branch the suffix goes
    on from, a nested function then the outer body; HumanEval multi-line, every 100th,
    engine 22.0/47.5 with the rules, 27.1/54.2 trusting its end, raw 25.4/50.8)."""
    rest_of_line = suffix.split("\n", 1)[0]
    lines = raw.split("\n")
    # A model that wrote on past the function before it stopped did not end the hole:
    # it wrote the function's end and code of its own after it.
    block_rules = not (model_ended and language in INDENT_LANGUAGES) or _runs_on_past_the_definition(
        lines, language, prefix, suffix)
    if mode == "single":
        lines = lines[:1]
    elif not block_rules:
        lines = _first_statement_where_it_leaves(lines, prefix, suffix)
    elif language in INDENT_LANGUAGES:
        lines = _first_statement_where_it_leaves(_truncate_block_indent(lines, prefix, suffix, language), prefix, suffix)
    else:
        lines = _truncate_block_braces(lines)
    lines = [l.rstrip() for l in lines]
    lines = _cut_where_the_suffix_starts(lines, suffix) if block_rules else _cut_a_copied_start_of_suffix(lines, suffix)
    if mode == "multi" and language in INDENT_LANGUAGES:
        lines = _end_where_the_code_below_fits(lines, prefix, suffix)
        if not block_rules:
            lines = _without_a_header_left_open(lines, suffix)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return ""
    text = "\n".join(lines)
    if "\n" not in text:
        text = _trim_line_overlap(text, rest_of_line)
        text = _trim_unmatched_closers(text, prefix.rsplit("\n", 1)[-1], rest_of_line)
    text = text.rstrip()
    if not text.strip():
        return ""
    current = prefix.rsplit("\n", 1)[-1]
    above = prefix.split("\n")[-2] if "\n" in prefix else ""
    if (current + text.split("\n", 1)[0]).strip() == above.strip() and above.strip():
        return ""  # repeating the line above is a loop, not a suggestion
    if not current.strip() and current and text.startswith(current) and mode == "multi":
        text = text[len(current):]  # the cursor already sits after this indentation
    return text
