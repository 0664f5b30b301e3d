"""The conversation with the chat model: questions, answers streaming in as Markdown,
and the sources the latest answer was given, each opening its file at its line."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tui.styles import css_beside


class AskPanel(Vertical):
    DEFAULT_CSS = css_beside(__file__)

    @dataclass
    class QuestionAsked(Message):
        question: str

    @dataclass
    class SourceChosen(Message):
        path: str
        line: int  # 0-based

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._stream = None
        self._sources: list = []
        self.answering = False
        self.answer_text = ""  # the latest answer as it streams, for tests and copying
        self._title = "Ask"

    def compose(self) -> ComposeResult:
        yield Label("Ask", id="ask-title")
        # The Markdown widget (and markdown-it under it) is made with the first answer:
        # start-up does not wait for what the first screen does not show.
        yield VerticalScroll(id="ask-scroll")
        yield Label("Sources", id="ask-sources-title")
        yield OptionList(id="ask-sources")
        yield Input(placeholder="Ask about the code (Enter sends; follow-ups continue)", id="ask-input")

    @property
    def markdown(self):
        """The answers so far (a textual Markdown widget), or None before the first."""
        found = self.query("#ask-answer")
        return found.first() if found else None

    async def _markdown(self):
        from textual.widgets import Markdown

        if self.markdown is None:
            await self.query_one("#ask-scroll", VerticalScroll).mount(Markdown("", id="ask-answer"))
        return self.markdown

    def focus_input(self) -> None:
        self.query_one("#ask-input", Input).focus()

    def set_target(self, about: str) -> None:
        # Called on every cursor move: a Label's update lays the whole screen out
        # again, so only a changed title is set.
        title = f"Ask about {about}"
        if title != self._title:
            self._title = title
            self.query_one("#ask-title", Label).update(title)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        question = event.value.strip()
        if question and not self.answering:
            event.input.value = ""
            self.post_message(self.QuestionAsked(question))

    async def begin(self, about: str, question: str, sources: list) -> None:
        """A new answer starts: show the question and the sources it is given."""
        self.answering = True
        self.answer_text = ""
        self._sources = list(sources)
        options = self.query_one("#ask-sources", OptionList)
        options.clear_options()
        options.add_options([Option(source.label()) for source in sources] or [Option("(none)", disabled=True)])
        markdown = await self._markdown()
        heading = f"\n\n**You** ({about}): {question}\n\n" if markdown.source else f"**You** ({about}): {question}\n\n"
        await markdown.append(heading)
        self._stream = type(markdown).get_stream(markdown)

    async def add_piece(self, text: str) -> None:
        self.answer_text += text
        if self._stream is not None:
            await self._stream.write(text)
        self.query_one("#ask-scroll", VerticalScroll).scroll_end(animate=False)

    async def finish(self, note: str) -> None:
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        if note and self.markdown is not None:
            await self.markdown.append(f"\n\n*{note}*")
        self.answering = False

    async def clear(self) -> None:
        await self.finish("")
        if self.markdown is not None:
            await self.markdown.update("")
        self.query_one("#ask-sources", OptionList).clear_options()
        self._sources = []
        self.answer_text = ""

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._sources):
            source = self._sources[event.option_index]
            self.post_message(self.SourceChosen(source.path, source.line))
