"""Editor settings are checked (a bad one gives one message and keeps the default),
and suggestions become LSP items with the right ranges."""

from __future__ import annotations

from lsprotocol import types

from lsp import config, convert


def test_editor_settings_map_to_core_settings_and_options():
    parsed = config.parse({"coder": {"context": "local", "maxTokens": 16, "debounceMs": 40,
                                     "features": {"midLine": True}}}, config.ServerOptions())
    assert parsed.core == {"completion": {"context": "local", "max_tokens": 16}}
    assert parsed.options.debounce_ms == 40 and parsed.options.mid_line is True
    assert parsed.problems == []


def test_bad_editor_settings_give_one_message_each_and_keep_the_rest():
    current = config.ServerOptions()
    parsed = config.parse({"debounceMs": "soon", "colour": "red", "features": {"inline": "yes"}, "budget": 512}, current)
    assert len(parsed.problems) == 3
    assert any("debounceMs" in p for p in parsed.problems)
    assert any("unknown coder setting 'colour'" in p for p in parsed.problems)
    assert parsed.options == current
    assert parsed.core == {"completion": {"prompt_tokens": 512}}


def test_core_settings_are_checked_by_the_workspace(tmp_path):
    from coder.workspace import Workspace

    workspace = Workspace.open(tmp_path)
    problems = workspace.update_settings({"completion": {"max_tokens": -3, "context": "local"}}, "test")
    assert len(problems) == 1 and "max_tokens" in problems[0]
    assert workspace.settings.completion.max_tokens == 64  # kept
    assert workspace.settings.completion.context == "local"  # applied


def _cursor(text, line, character, encoding="utf-16"):
    return convert.cursor_at(text, types.Position(line=line, character=character), encoding)


def test_a_menu_item_replaces_the_typed_word():
    text = "name = 'é😀'\nresult = compu"
    cursor = _cursor(text, 1, 14)
    listing = convert.menu_items("te_total(items)", text, cursor, "s1", "utf-16")
    item = listing.items[0]
    assert item.text_edit.range.start == types.Position(line=1, character=9)
    assert item.text_edit.range.end == types.Position(line=1, character=14)
    assert item.text_edit.new_text == "compute_total(items)"
    assert item.filter_text == "compute_total(items)"
    assert item.command.command == "coder.accepted" and item.command.arguments == ["s1"]


def test_an_inline_item_is_inserted_at_the_cursor_in_utf16_units():
    text = "s = '😀' + "
    cursor = _cursor(text, 0, 10)
    assert (cursor.line, cursor.column) == (0, 9)
    item = convert.inline_items("str(x)", text, cursor, "s2").items[0]
    assert item.range.start == item.range.end == types.Position(line=0, character=10)
    assert item.insert_text == "str(x)"


def test_a_multiline_suggestion_takes_the_documents_line_breaks():
    text = "def f():\r\n    \r\n"
    cursor = _cursor(text, 1, 4)
    assert (cursor.line, cursor.column) == (1, 4)
    item = convert.inline_items("x = 1\n    return x", text, cursor, None).items[0]
    assert item.insert_text == "x = 1\r\n    return x"
    assert item.command is None


def test_code_right_of_the_cursor_ignores_closing_brackets():
    text = "print(foo)\nvalue = compute(x) + 1\n"
    assert not convert.code_right_of(text, _cursor(text, 0, 9))
    assert convert.code_right_of(text, _cursor(text, 1, 8))
