"""Core types <-> LSP types, in one place.

A request's LSP position becomes the core's (line, column) in code points with lines
ending at "\\n"; a suggestion becomes an inline completion item (ghost text inserted
at the cursor) or a menu item whose edit replaces what was typed of the current word,
so the client's filter matches it and accepting it leaves no half-word behind.
Each item carries the ``coder.accepted`` command with a token naming the suggestion,
which the client runs when the user accepts it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lsprotocol import types

from lsp import positions

ACCEPT_COMMAND = "coder.accepted"
_WORD_TAIL = re.compile(r"[\w$]+$")
MENU_LABEL_CHARS = 60


@dataclass(frozen=True)
class Cursor:
    offset: int  # code points into the text
    line: int  # the core's line (lines end at "\n")
    column: int  # the core's column, code points
    lsp_line: int
    lsp_character: int  # code units of the negotiated encoding


def cursor_at(text: str, position: types.Position, encoding: str) -> Cursor:
    offset = positions.offset_at(text, position.line, position.character, encoding)
    line, column = positions.core_position(text, offset)
    lsp_line, lsp_character = positions.position_at(text, offset, encoding)
    return Cursor(offset, line, column, lsp_line, lsp_character)


def code_right_of(text: str, cursor: Cursor) -> bool:
    """Whether the cursor's line holds code after it (closing brackets and quotes,
    which editors type for us, do not count)."""
    end = text.find("\n", cursor.offset)
    rest = text[cursor.offset : len(text) if end < 0 else end]
    return bool(rest.strip().strip(")]}\"'`;:,"))


def _line_break(text: str, offset: int) -> str:
    end = text.find("\n", offset)
    return "\r\n" if end > 0 and text[end - 1] == "\r" else "\n"


def editor_text(suggestion_text: str, document_text: str, cursor: Cursor) -> str:
    """The suggestion with the document's own line breaks."""
    if "\n" in suggestion_text and _line_break(document_text, cursor.offset) == "\r\n":
        return suggestion_text.replace("\r\n", "\n").replace("\n", "\r\n")
    return suggestion_text


def _accept_command(token: str) -> types.Command:
    return types.Command(title="coder: suggestion accepted", command=ACCEPT_COMMAND, arguments=[token])


def _point(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def inline_items(text: str, document_text: str, cursor: Cursor, token: str | None) -> types.InlineCompletionList:
    if not text:
        return types.InlineCompletionList(items=[])
    at = _point(cursor.lsp_line, cursor.lsp_character)
    item = types.InlineCompletionItem(
        insert_text=editor_text(text, document_text, cursor),
        range=types.Range(start=at, end=at),
        command=_accept_command(token) if token else None,
    )
    return types.InlineCompletionList(items=[item])


def typed_word(document_text: str, cursor: Cursor) -> str:
    line_start = document_text.rfind("\n", 0, cursor.offset) + 1
    match = _WORD_TAIL.search(document_text, line_start, cursor.offset)
    return match.group(0) if match else ""


def menu_items(text: str, document_text: str, cursor: Cursor, token: str | None, encoding: str) -> types.CompletionList:
    if not text:
        return types.CompletionList(is_incomplete=True, items=[])
    word = typed_word(document_text, cursor)
    start_line, start_character = positions.position_at(document_text, cursor.offset - len(word), encoding)
    new_text = word + editor_text(text, document_text, cursor)
    first_line = new_text.split("\n", 1)[0].rstrip("\r")
    label = first_line if len(first_line) <= MENU_LABEL_CHARS else first_line[: MENU_LABEL_CHARS - 1] + "…"
    if "\n" in new_text and label == first_line:
        label += " …"
    item = types.CompletionItem(
        label=label or new_text.strip()[:MENU_LABEL_CHARS] or "⏎",
        kind=types.CompletionItemKind.Snippet if "\n" in new_text else types.CompletionItemKind.Text,
        detail="coder",
        documentation=types.MarkupContent(kind=types.MarkupKind.PlainText, value=new_text) if "\n" in new_text else None,
        filter_text=new_text,
        sort_text="0",
        preselect=True,
        insert_text_format=types.InsertTextFormat.PlainText,
        text_edit=types.TextEdit(
            range=types.Range(start=_point(start_line, start_character), end=_point(cursor.lsp_line, cursor.lsp_character)),
            new_text=new_text,
        ),
        command=_accept_command(token) if token else None,
    )
    # Incomplete: the client asks again as the user types, which the suggestion cache
    # answers without a model call while the typing follows the suggestion.
    return types.CompletionList(is_incomplete=True, items=[item])


def empty_inline() -> types.InlineCompletionList:
    return types.InlineCompletionList(items=[])


def empty_menu() -> types.CompletionList:
    return types.CompletionList(is_incomplete=True, items=[])


def _range_of(text: str, start: int, end: int, encoding: str) -> types.Range:
    return types.Range(_point(*positions.position_at(text, start, encoding)),
                       _point(*positions.position_at(text, end, encoding)))


def workspace_edit(uri: str, version: int, old: str, new: str, encoding: str, *,
                   versioned: bool) -> types.WorkspaceEdit:
    """One edit turning old into new: what lies between their common start and end
    (so the editor's cursor and undo stay where they are outside the function).
    ``versioned`` (the client takes documentChanges): the client refuses the edit
    when its document is no longer at ``version``."""
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[len(old) - 1 - end] == new[len(new) - 1 - end]:
        end += 1
    edit = types.TextEdit(range=_range_of(old, start, len(old) - end, encoding), new_text=new[start:len(new) - end])
    if versioned:
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), edits=[edit])])
    return types.WorkspaceEdit(changes={uri: [edit]})


_SEVERITIES = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
               "note": types.DiagnosticSeverity.Information}


def review_diagnostics(findings, text: str, encoding: str, source: str) -> list[types.Diagnostic]:
    """Review findings (1-based lines and columns of the text with "\\n" line ends)
    as diagnostics from the finding's column to the end of its line."""
    lines = text.replace("\r\n", "\n").split("\n")
    found = []
    for finding in findings:
        line = min(max(finding.line - 1, 0), len(lines) - 1)
        line_text = lines[line]
        column = min(max(finding.column - 1, 0), len(line_text))
        found.append(types.Diagnostic(
            range=types.Range(_point(line, positions.chars_to_units(line_text, column, encoding)),
                              _point(line, positions.chars_to_units(line_text, len(line_text), encoding))),
            message=finding.message, severity=_SEVERITIES.get(finding.severity, types.DiagnosticSeverity.Warning),
            source=source, code=finding.rule,
        ))
    return found
