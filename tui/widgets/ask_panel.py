"""The conversation with the chat model: questions, answers streaming in as Markdown,
and the sources the latest answer was given, each opening its file at its line."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Markdown, OptionList
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

    def compose(self) -> ComposeResult:
        yield Label("Ask", id="ask-title")
        with VerticalScroll(id="ask-scroll"):
            yield Markdown("", id="ask-answer")
        yield Label("Sources", id="ask-sources-title")
        yield OptionList(id="ask-sources")
        yield Input(placeholder="Ask about the code (Enter sends; follow-ups continue)", id="ask-input")

    @property
    def markdown(self) -> Markdown:
        return self.query_one("#ask-answer", Markdown)

    def focus_input(self) -> None:
        self.query_one("#ask-input", Input).focus()

    def set_target(self, about: str) -> None:
        self.query_one("#ask-title", Label).update(f"Ask about {about}")

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
        heading = f"\n\n**You** ({about}): {question}\n\n" if self.markdown.source else f"**You** ({about}): {question}\n\n"
        await self.markdown.append(heading)
        self._stream = Markdown.get_stream(self.markdown)

    async def add_piece(self, text: str) -> None:
        self.answer_text += text
        if self._stream is not None:
            await self._stream.write(text)
        self.query_one("#ask-scroll", VerticalScroll).scroll_end(animate=False)

    async def finish(self, note: str) -> None:
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        if note:
            await self.markdown.append(f"\n\n*{note}*")
        self.answering = False

    async def clear(self) -> None:
        await self.finish("")
        await self.markdown.update("")
        self.query_one("#ask-sources", OptionList).clear_options()
        self._sources = []
        self.answer_text = ""

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._sources):
            source = self._sources[event.option_index]
            self.post_message(self.SourceChosen(source.path, source.line))
